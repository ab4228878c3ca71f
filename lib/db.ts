import "server-only";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { PrismaClient } from "./generated/prisma/client.ts";
import { env } from "./env.ts";

export type Db = InstanceType<typeof PrismaClient>;
/** A client or an interactive transaction: what domain functions run their queries on. */
export type Tx = Omit<Db, "$connect" | "$disconnect" | "$on" | "$transaction" | "$extends">;

let current: { pool: pg.Pool; prisma: Db } | undefined;

function create() {
  const url = env().DATABASE_URL;
  if (!url) throw new Error("DATABASE_URL is not set (start the app with `countersign start`)");
  const pool = new pg.Pool({ connectionString: url, max: env().DATABASE_POOL_SIZE });
  // An idle connection dropped by the server must not crash the process; the pool replaces it.
  pool.on("error", () => {});
  return { pool, prisma: new PrismaClient({ adapter: new PrismaPg(pool) }) };
}

function holder() {
  current ??= create();
  return current;
}

/**
 * The one Prisma client of the process, shared by route handlers, workers,
 * the CLI and tests. Created on first use.
 */
export function db(): Db {
  return holder().prisma;
}

/**
 * The connection pool under that client. The hot paths (agent authentication,
 * creating, reading and deciding requests) speak SQL to it directly: Prisma
 * 6.19's Wasm query compiler spends milliseconds of CPU compiling each query,
 * and these paths run thousands of times a second (see README, Benchmarks).
 */
export function pool(): pg.Pool {
  return holder().pool;
}

/** Runs `work` in one transaction on one pooled connection (of the app's pool, or `on`); rolls back if it throws. */
export async function transaction<T>(work: (client: pg.PoolClient) => Promise<T>, on: pg.Pool = pool()): Promise<T> {
  const client = await on.connect();
  try {
    await client.query("BEGIN");
    const result = await work(client);
    await client.query("COMMIT");
    return result;
  } catch (err) {
    await client.query("ROLLBACK").catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

export async function disconnectDb(): Promise<void> {
  const closing = current;
  current = undefined;
  await closing?.prisma.$disconnect();
  await closing?.pool.end().catch(() => {});
}
