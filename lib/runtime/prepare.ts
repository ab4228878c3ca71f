import "server-only";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { env, resetEnv } from "../env.ts";
import { startEmbeddedPostgres } from "./embedded-postgres.ts";
import { describeDatabaseUrl } from "./migrate.ts";

export interface Runtime {
  embedded: boolean;
  databaseUrl: string;
  /** Where the database is, for messages: the data folder, or DATABASE_URL without its password. */
  where: string;
  stop(): Promise<void>;
}

/**
 * Resolves where the database is. With `DATABASE_URL` that database is used
 * as is. Without it, the embedded PostgreSQL in the data directory is started
 * (or joined, when the app already runs), and AUTH_SECRET is generated once
 * and kept beside it. Values are written to process.env for the app to read.
 *
 * Only `create` (`start`, `migrate`) may make the data folder, the cluster
 * and the database; otherwise a missing one is an error.
 */
export async function prepareRuntime(options: { create: boolean; log?: (line: string) => void }): Promise<Runtime> {
  const e = env();
  if (e.DATABASE_URL) {
    if (!e.AUTH_SECRET) throw new Error("AUTH_SECRET is required when DATABASE_URL is set (at least 32 characters)");
    return { embedded: false, databaseUrl: e.DATABASE_URL, where: describeDatabaseUrl(e.DATABASE_URL), stop: async () => {} };
  }
  const dir = path.resolve(e.COUNTERSIGN_DATA_DIR);
  const database = await startEmbeddedPostgres({ dataDir: dir, port: e.COUNTERSIGN_EMBEDDED_PG_PORT, create: options.create, log: options.log });
  try {
    if (!e.AUTH_SECRET) {
      const file = path.join(dir, "auth-secret");
      if (!existsSync(file)) {
        if (!options.create) throw new Error(`${file} is missing and AUTH_SECRET is not set: set AUTH_SECRET to the app's value`);
        writeFileSync(file, `${randomBytes(32).toString("base64url")}\n`, { mode: 0o600 });
      }
      process.env.AUTH_SECRET = readFileSync(file, "utf8").trim();
    }
  } catch (err) {
    await database.stop();
    throw err;
  }
  process.env.DATABASE_URL = database.url;
  resetEnv();
  return { embedded: true, databaseUrl: database.url, where: dir, stop: database.stop };
}
