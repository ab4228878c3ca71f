import "server-only";
import { AsyncLocalStorage } from "node:async_hooks";
import { createHash } from "node:crypto";
import { CamelCasePlugin, type Insertable, Kysely, PostgresDialect, type RawBuilder, type Selectable, sql, type Transaction } from "kysely";
import pg from "pg";
import type { DB } from "./generated/kysely/types.ts";
import { env } from "./env.ts";
import { isTransient } from "./db-errors.ts";
import { addCallTime } from "./http/call-timing.ts";
import { announce, type Change } from "./events/notify.ts";
import { yieldToPeople } from "./limits/people-first.ts";

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

interface Lane {
  pool: pg.Pool;
  kysely: Kysely<DB>;
}

let current: { agents: Lane; people?: Lane } | undefined;

/**
 * Which connection pool the current call draws on. Agents and executors (the
 * untrusted side, which can flood) use the main pool; people and
 * administrators (the dashboard, the admin API, the kill switch) have a pool
 * of their own, so no queue of agent work stands between an admin and a
 * suspension, or a reviewer and a decision.
 */
const lane = new AsyncLocalStorage<"people">();

/** Runs `work` (and everything it awaits) on the people's pool: for dashboard pages and session or admin routes. */
export function onPeopleLane<T>(work: () => T): T {
  return lane.run("people", work);
}

/**
 * Names each statement by a hash of its text, so every connection parses and
 * plans a query once and reuses the prepared plan afterwards. Query texts
 * vary only with their shape (lists are passed as one array parameter), so
 * the set of prepared statements per connection stays small.
 */
const prepared = new WeakMap<pg.PoolClient, pg.PoolClient>();

function preparing(client: pg.PoolClient, yieldsToPeople: boolean): pg.PoolClient {
  // The same wrapper for the same connection: the query builder keeps its own per-connection state by identity.
  const known = prepared.get(client);
  if (known) return known;
  // A connection that dies while checked out between queries (a server
  // restart, a terminated session) emits "error": without a listener that
  // would end the process. The next query on it fails and the pool drops it.
  if (client.listenerCount("error") === 0) client.on("error", () => {});
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  const named = (text: unknown, values?: unknown): unknown => {
    const turn = yieldsToPeople ? yieldToPeople(env().COUNTERSIGN_PEOPLE_FIRST_MS) : undefined;
    return turn ? turn.then(() => send(text, values)) : send(text, values);
  };
  const send = (text: unknown, values?: unknown) => {
    const started = performance.now();
    const result =
      typeof text === "string" && Array.isArray(values)
        ? query({ name: `k_${createHash("sha1").update(text).digest("base64url").slice(0, 24)}`, text, values })
        : query(text, values);
    if (result instanceof Promise) void result.finally(() => addCallTime("db", performance.now() - started)).catch(() => {});
    return result;
  };
  const wrapped = new Proxy(client, { get: (target, key) => (key === "query" ? named : Reflect.get(target, key)) });
  prepared.set(client, wrapped);
  return wrapped;
}

/**
 * A query builder over `pool` (the app's, or a dedicated one such as the
 * audit sealer's single session). The caller owns the pool and ends it.
 * With `yieldsToPeople`, each statement first yields to people's calls being
 * served (lib/limits/people-first.ts).
 */
export function kyselyOver(pool: pg.Pool, options: { yieldsToPeople?: boolean } = {}): Kysely<DB> {
  const dialect = new PostgresDialect({
    pool: {
      connect: async () => {
        const started = performance.now();
        try {
          return preparing(await pool.connect(), options.yieldsToPeople === true);
        } finally {
          addCallTime("pool", performance.now() - started);
        }
      },
      end: () => pool.end(),
    },
  });
  // Tables and columns are camelCase in TypeScript and snake_case in SQL. JSON
  // values (params, context, event data) keep their keys exactly as stored.
  return new Kysely<DB>({ dialect, plugins: [new CamelCasePlugin({ maintainNestedObjectKeys: true })] });
}

function createLane(max: number, options: { yieldsToPeople?: boolean } = {}): Lane {
  const e = env();
  if (!e.DATABASE_URL) throw new Error("DATABASE_URL is not set (start the app with `countersign start`)");
  // A call that cannot get a connection in time fails as "unavailable" (503 with Retry-After) before it starts
  // any work; nothing depends on this timeout for correctness.
  const pool = new pg.Pool({ connectionString: e.DATABASE_URL, max, connectionTimeoutMillis: e.DATABASE_POOL_TIMEOUT_SECONDS * 1000 });
  // An idle connection dropped by the server must not crash the process; the pool replaces it.
  pool.on("error", () => {});
  return { pool, kysely: kyselyOver(pool, options) };
}

function holder() {
  current ??= { agents: createLane(env().DATABASE_POOL_SIZE, { yieldsToPeople: true }) };
  return current;
}

/**
 * The one query builder of the process, shared by route handlers, workers,
 * the CLI and tests: on the pool of the current lane (`onPeopleLane`), each
 * created on first use.
 */
export function db(): Kysely<DB> {
  if (insideTransaction.getStore()) {
    // A statement outside the open transaction waits for a second connection
    // while holding one: enough such calls at once exhaust the pool and
    // deadlock it (every holder waiting for a connection no one returns).
    throw new Error("db() called inside a transaction: use its trx, or run this before the transaction opens");
  }
  const h = holder();
  if (lane.getStore() !== "people") return h.agents.kysely;
  h.people ??= createLane(env().DATABASE_PEOPLE_POOL_SIZE);
  return h.people.kysely;
}

/** Connections of each pool now: checked out, idle, and calls waiting for one (the gauge on /api/metrics). */
export function poolUsage(): { pool: "agents" | "people"; busy: number; idle: number; waiting: number }[] {
  const h = current;
  if (!h) return [];
  return (["agents", "people"] as const).flatMap((name) => {
    const p = h[name]?.pool;
    return p ? [{ pool: name, busy: p.totalCount - p.idleCount, idle: p.idleCount, waiting: p.waitingCount }] : [];
  });
}

/** The main connection pool (for raw COPY and tests). */
export function pool(): pg.Pool {
  return holder().agents.pool;
}

/** A data-modifying part of a WITH statement (`.with(name, () => statementPart(…))`), parenthesised. */
export const statementPart = (statement: RawBuilder<unknown>) => sql<Record<string, unknown>>`(${statement})`;

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
  if (!list) announcedOnCommit.set(trx, changes);
  else for (const change of changes) list.push(change);
}

const insideTransaction = new AsyncLocalStorage<true>();

/** Attempts of a transaction PostgreSQL aborted as transient (deadlock, serialization) before the error is the caller's. */
const TRANSIENT_ATTEMPTS = 3;

/**
 * Runs `work` in one transaction; after it commits, announces what
 * `announceOnCommit` registered. A transaction PostgreSQL aborted to break a
 * deadlock or a serialization conflict left nothing behind and runs again
 * (`work` must have no effects outside the transaction); after the last
 * attempt the error surfaces as 503 with Retry-After.
 */
export async function transact<T>(work: (trx: Trx) => Promise<T>, on: Kysely<DB> = db()): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    let open: Trx | undefined;
    try {
      const result = await on.transaction().execute((trx) => {
        open = trx;
        return insideTransaction.run(true, () => work(trx));
      });
      announceRegistered(open);
      return result;
    } catch (err) {
      if (open) announcedOnCommit.delete(open);
      if (attempt >= TRANSIENT_ATTEMPTS || !isTransient(err)) throw err;
    }
  }
}

function announceRegistered(trx: object | undefined): void {
  const changes = trx && announcedOnCommit.get(trx);
  if (!changes) return;
  announcedOnCommit.delete(trx);
  announce(changes);
}

export async function disconnectDb(): Promise<void> {
  const closing = current;
  current = undefined;
  await Promise.all([closing?.agents, closing?.people].map((l) => l?.pool.end().catch(() => {})));
}
