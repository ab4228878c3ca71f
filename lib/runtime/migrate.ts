import "server-only";
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { ensureAllPartitions } from "../partitions.ts";
import { kyselyOver } from "../db.ts";

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

export const noDatabaseMessage = (where: string) =>
  `no Countersign database at ${where}: run \`countersign start\` or \`countersign migrate\` first (or set COUNTERSIGN_DATA_DIR or DATABASE_URL)`;

/** A database URL as it may be shown: no password, no query. */
export function describeDatabaseUrl(databaseUrl: string): string {
  try {
    const u = new URL(databaseUrl);
    return `${u.host}${u.pathname}`;
  } catch {
    return "DATABASE_URL (not a valid URL)";
  }
}

/** A one-line reason for failing to connect, naming the database but not its password. */
function connectFailure(err: unknown, where: string): Error {
  const e = err as Error & { code?: string };
  if (e.code === "ECONNREFUSED") return new Error(`cannot reach PostgreSQL at ${where}: connection refused (is it running?)`);
  if (e.code === "28P01" || e.code === "28000") return new Error(`PostgreSQL at ${where} refused the credentials: ${e.message}`);
  return new Error(`cannot use PostgreSQL at ${where}: ${e.message || e.code || String(err)}`);
}

function migrationNames(): string[] {
  return readdirSync(path.join(PROJECT_ROOT, "prisma", "migrations"), { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
}

/**
 * The migrations of this version not yet applied to the database, or null when
 * the database or its Countersign schema does not exist (a query or two;
 * Prisma's migrator takes seconds).
 */
export async function pendingMigrations(databaseUrl: string, where = describeDatabaseUrl(databaseUrl)): Promise<string[] | null> {
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 10_000 });
  client.on("error", () => {});
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => {});
    if ((err as { code?: string }).code === "3D000") return null;
    throw connectFailure(err, where);
  }
  try {
    // Prisma keeps its table in the URL's `schema` (public by default).
    const table = `"${(new URL(databaseUrl).searchParams.get("schema") ?? "public").replace(/"/g, '""')}"._prisma_migrations`;
    const { rows } = await client.query<{ present: boolean }>("select to_regclass($1) is not null as present", [table]);
    if (!rows[0].present) return null;
    const applied = await client.query<{ name: string }>(
      `select migration_name as name from ${table} where finished_at is not null and rolled_back_at is null`,
    );
    const done = new Set(applied.rows.map((r) => r.name));
    return migrationNames().filter((name) => !done.has(name));
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * For every command but `start` and `migrate`: the database must exist and be
 * fully migrated. Nothing is created or changed here.
 */
export async function assertMigrated(databaseUrl: string, where: string): Promise<void> {
  const pending = await pendingMigrations(databaseUrl, where);
  if (pending === null) throw new Error(noDatabaseMessage(where));
  if (pending.length) {
    throw new Error(
      `the Countersign database at ${where} lacks ${pending.length} migration(s) of this version (${pending.join(", ")}): run \`countersign migrate\` or \`countersign start\` first`,
    );
  }
}

/** Applies pending migrations with Prisma's own migrator (Wasm engine, no downloads); skips it when none are pending. */
export async function migrate(databaseUrl: string): Promise<void> {
  const pending = await pendingMigrations(databaseUrl);
  if (pending === null || pending.length > 0) await deploy(databaseUrl);
  // What the migrations' SQL cannot do: monthly partitions (lib/partitions.ts).
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 1 });
  const q = kyselyOver(pool);
  try {
    await ensureAllPartitions({ q });
  } finally {
    await q.destroy();
  }
}

async function deploy(databaseUrl: string): Promise<void> {
  const prismaCli = createRequire(import.meta.url).resolve("prisma/build/index.js");
  const output: string[] = [];
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(process.execPath, [prismaCli, "migrate", "deploy"], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, DATABASE_URL: databaseUrl, PRISMA_HIDE_UPDATE_MESSAGE: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout.on("data", (d) => output.push(String(d)));
    child.stderr.on("data", (d) => output.push(String(d)));
    child.on("error", reject);
    child.on("exit", resolve);
  });
  if (code !== 0) throw new Error(`migrations failed:\n${output.join("")}`);
}
