import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { env, resetEnv } from "../env.ts";
import { startEmbeddedPostgres, type EmbeddedDatabase } from "./embedded-postgres.ts";

export interface Runtime {
  embedded: boolean;
  databaseUrl: string;
  stop(): Promise<void>;
}

function dataDir(): string {
  return path.resolve(env().COUNTERSIGN_DATA_DIR);
}

/**
 * Resolves where the database is. With `DATABASE_URL` that database is used
 * as is. Without it, the embedded PostgreSQL in the data directory is started
 * (or joined, when the app already runs), and AUTH_SECRET is generated once
 * and kept beside it. Values are written to process.env for the app to read.
 */
export async function prepareRuntime(options: { log?: (line: string) => void } = {}): Promise<Runtime> {
  const e = env();
  if (e.DATABASE_URL) {
    if (!e.AUTH_SECRET) throw new Error("AUTH_SECRET is required when DATABASE_URL is set (at least 32 characters)");
    return { embedded: false, databaseUrl: e.DATABASE_URL, stop: async () => {} };
  }
  const dir = dataDir();
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (!e.AUTH_SECRET) {
    const file = path.join(dir, "auth-secret");
    if (!existsSync(file)) writeFileSync(file, randomBytes(32).toString("base64url") + "\n", { mode: 0o600 });
    process.env.AUTH_SECRET = readFileSync(file, "utf8").trim();
  }
  const database: EmbeddedDatabase = await startEmbeddedPostgres({ dataDir: dir, port: e.COUNTERSIGN_EMBEDDED_PG_PORT, log: options.log });
  process.env.DATABASE_URL = database.url;
  resetEnv();
  return { embedded: true, databaseUrl: database.url, stop: database.stop };
}
