import "server-only";
import { createHash } from "node:crypto";
import { CamelCasePlugin, type Insertable, Kysely, PostgresDialect, type RawBuilder, type Selectable, sql, type Transaction } from "kysely";
import pg from "pg";
import type { DB } from "./generated/kysely/types.ts";
import { env } from "./env.ts";
import { announce, type Change } from "./events/notify.ts";

export type { DB } from "./generated/kysely/types.ts";

/** A stored row of `table`, with camelCase keys (the query builder maps them to snake_case columns). */
export type Row<T extends keyof DB> = Selectable<DB[T]>;

/**
 * The typed query builder (Kysely) over the app's `pg` pool: every read and
 * write speaks SQL through it. A function that takes a `Queryable` runs on
 * the pool or inside the caller's transaction alike.
 */
export type Queryable = Kysely<DB>;
/** An open transaction: pass it down so a change and its audit events commit together. */
export type Trx = Transaction<DB>;

let current: { pool: pg.Pool; kysely: Kysely<DB> } | undefined;

/**
 * Names each statement by a hash of its text, so every connection parses and
 * plans a query once and reuses the prepared plan afterwards. Query texts
 * vary only with their shape (lists are passed as one array parameter), so
 * the set of prepared statements per connection stays small.
 */
const prepared = new WeakMap<pg.PoolClient, pg.PoolClient>();

function preparing(client: pg.PoolClient): pg.PoolClient {
  // The same wrapper for the same connection: the query builder keeps its own per-connection state by identity.
  const known = prepared.get(client);
  if (known) return known;
  // A connection that dies while checked out between queries (a server
  // restart, a terminated session) emits "error": without a listener that
  // would end the process. The next query on it fails and the pool drops it.
  if (client.listenerCount("error") === 0) client.on("error", () => {});
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  const named = (text: unknown, values?: unknown) =>
    typeof text === "string" && Array.isArray(values)
      ? query({ name: `k_${createHash("sha1").update(text).digest("base64url").slice(0, 24)}`, text, values })
      : query(text, values);
  const wrapped = new Proxy(client, { get: (target, key) => (key === "query" ? named : Reflect.get(target, key)) });
  prepared.set(client, wrapped);
  return wrapped;
}

/**
 * A query builder over `pool` (the app's, or a dedicated one such as the
 * audit sealer's single session). The caller owns the pool and ends it.
 */
export function kyselyOver(pool: pg.Pool): Kysely<DB> {
  const dialect = new PostgresDialect({
    pool: { connect: async () => preparing(await pool.connect()), end: () => pool.end() },
  });
  // Tables and columns are camelCase in TypeScript and snake_case in SQL. JSON
  // values (params, context, event data) keep their keys exactly as stored.
  return new Kysely<DB>({ dialect, plugins: [new CamelCasePlugin({ maintainNestedObjectKeys: true })] });
}

function create() {
  const url = env().DATABASE_URL;
  if (!url) throw new Error("DATABASE_URL is not set (start the app with `countersign start`)");
  const pool = new pg.Pool({ connectionString: url, max: env().DATABASE_POOL_SIZE });
  // An idle connection dropped by the server must not crash the process; the pool replaces it.
  pool.on("error", () => {});
  return { pool, kysely: kyselyOver(pool) };
}

function holder() {
  current ??= create();
  return current;
}

/** The one query builder of the process, shared by route handlers, workers, the CLI and tests. Created on first use. */
export function db(): Kysely<DB> {
  return holder().kysely;
}

/** The connection pool under the query builder (for LISTEN connections' settings, raw COPY and tests). */
export function pool(): pg.Pool {
  return holder().pool;
}

const snake = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/**
 * `INSERT INTO table` of one row (keys as the builder takes them; JSON
 * columns as plain values), only where `guard` holds: a part of a single
 * statement that changes several tables at once, composed with `.with(…)`.
 * The row travels as one JSON parameter that `jsonb_populate_record` types
 * column by column, and columns it leaves out take their defaults.
 */
export function insertRowWhere<T extends keyof DB & string>(table: T, row: Insertable<DB[T]>, guard: RawBuilder<unknown>): RawBuilder<Record<string, unknown>> {
  const record = Object.fromEntries(
    Object.entries(row)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [snake(k), v instanceof Date ? v.toISOString() : v]),
  );
  const columns = sql.join(Object.keys(record).map((c) => sql.id(c)));
  const name = sql.id(snake(table));
  return sql<
    Record<string, unknown>
  >`INSERT INTO ${name} (${columns}) SELECT ${columns} FROM jsonb_populate_record(NULL::${name}, ${JSON.stringify(record)}::jsonb) WHERE ${guard} RETURNING *`;
}

const announcedOnCommit = new WeakMap<object, Change[]>();

/**
 * Announces `changes` (waking waiters here and on other instances) once the
 * transaction `trx` commits; never if it rolls back. Only transactions run by
 * `transact` honour it.
 */
export function announceOnCommit(trx: object, ...changes: Change[]): void {
  const list = announcedOnCommit.get(trx);
  if (list) list.push(...changes);
  else announcedOnCommit.set(trx, [...changes]);
}

/** Runs `work` in one transaction; after it commits, announces what `announceOnCommit` registered. */
export async function transact<T>(work: (trx: Trx) => Promise<T>, on: Kysely<DB> = db()): Promise<T> {
  let open: Trx | undefined;
  const result = await on.transaction().execute((trx) => {
    open = trx;
    return work(trx);
  });
  announceRegistered(open);
  return result;
}

function announceRegistered(trx: object | undefined): void {
  const changes = trx && announcedOnCommit.get(trx);
  if (!changes) return;
  announcedOnCommit.delete(trx);
  announce(...changes);
}

export async function disconnectDb(): Promise<void> {
  const closing = current;
  current = undefined;
  await closing?.pool.end().catch(() => {});
}
