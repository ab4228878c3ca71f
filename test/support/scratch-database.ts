import { randomBytes } from "node:crypto";
import pg from "pg";

/*
 * Scratch databases for tests that tamper with shared state (rewrite or cut
 * the audit chain, rewind its head, change settings or migration records):
 * each gets a database of its own on the test server, so suites running in
 * parallel against the shared database never see the damage.
 */

/** The migrated database every scratch database is copied from (made by the integration run's global setup). */
const TEMPLATE = "countersign_template";

export interface ScratchDatabase {
  url: string;
  /** A small pool on the scratch database. */
  pool: pg.Pool;
  /** Closes the pool and drops the database. */
  drop(): Promise<void>;
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/** Runs `work` on a connection of its own to `url`, closed afterwards. */
export async function onServer<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * Copies the freshly migrated database at `databaseUrl` to the template. Run
 * once, after migrating and before anything connects to it or writes to it:
 * PostgreSQL copies a database only while no one else is connected to it.
 */
export async function createScratchTemplate(databaseUrl: string): Promise<void> {
  const source = new URL(databaseUrl).pathname.slice(1);
  await onServer(databaseUrl, (c) => c.query(`CREATE DATABASE ${TEMPLATE} TEMPLATE "${source.replace(/"/g, '""')}"`));
}

/**
 * A new database on the test server (the one `DATABASE_URL` names): a copy of
 * the migrated template, with no events, users or signing keys yet (a copy
 * takes a fraction of a second; migrating takes seconds), or with `empty`, a
 * database with nothing in it. Drop it when done.
 */
export async function scratchDatabase(options: { empty?: boolean } = {}): Promise<ScratchDatabase> {
  const server = process.env.DATABASE_URL;
  if (!server) throw new Error("DATABASE_URL is not set: scratch databases live on the integration run's test server");
  const name = `scratch_${randomBytes(6).toString("hex")}`;
  await onServer(server, (c) => c.query(`CREATE DATABASE ${name} TEMPLATE ${options.empty ? "template0" : TEMPLATE}`));
  const url = withDatabase(server, name);
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  pool.on("error", () => {});
  return {
    url,
    pool,
    async drop() {
      await pool.end();
      await onServer(server, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}
