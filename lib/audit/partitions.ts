import "server-only";
import { sql } from "kysely";
import { db, type Queryable } from "../db.ts";
import { logger } from "../logger.ts";

/**
 * Monthly partitions (UTC calendar months) of the time-partitioned tables.
 * Each partition is named `<table>_YYYY_MM`; the app creates them ahead of
 * time, so an insert always finds its partition, and retention detaches and
 * drops whole partitions instead of deleting rows under locks.
 */
export const PARTITIONED_TABLES = ["audit_events"] as const;
export type PartitionedTable = (typeof PARTITIONED_TABLES)[number];

/** How far ahead partitions exist: an instance down for weeks still finds them on its return. */
export const MONTHS_AHEAD = 3;

/** The first instant of the UTC month of `d`. */
export function monthStart(d: Date): Date {
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1));
}

export function addMonths(d: Date, months: number): Date {
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + months, 1));
}

export function partitionName(table: PartitionedTable, month: Date): string {
  return `${table}_${month.getUTCFullYear()}_${String(month.getUTCMonth() + 1).padStart(2, "0")}`;
}

export interface Partition {
  name: string;
  from: Date;
  to: Date;
}

/** The monthly partitions attached to `table`, oldest first (the default partition is not one of them). */
export async function listPartitions(table: PartitionedTable, q: Queryable = db()): Promise<Partition[]> {
  const { rows } = await sql<{ name: string }>`
    SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = ${table}::regclass`.execute(q);
  const pattern = new RegExp(`^${table}_(\\d{4})_(\\d{2})$`);
  return rows
    .flatMap((r) => {
      const m = pattern.exec(r.name);
      if (!m) return [];
      const from = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, 1));
      return [{ name: r.name, from, to: addMonths(from, 1) }];
    })
    .sort((a, b) => a.from.getTime() - b.from.getTime());
}

async function createPartition(q: Queryable, table: PartitionedTable, month: Date): Promise<void> {
  const name = partitionName(table, month);
  try {
    await sql`CREATE TABLE IF NOT EXISTS ${sql.id(name)} PARTITION OF ${sql.id(table)}
              FOR VALUES FROM (${sql.lit(month.toISOString())}) TO (${sql.lit(addMonths(month, 1).toISOString())})`.execute(q);
  } catch (err) {
    // Another instance created it at the same moment.
    const code = (err as { code?: string }).code;
    if (code !== "42P07" && code !== "23505") throw err;
  }
}

/**
 * Makes sure `table` has a partition for every month from `from` (default:
 * this month) to MONTHS_AHEAD months ahead. Idempotent and safe to run on
 * several instances at once. The first time after the migration that
 * partitioned the table, it also moves the rows the migration put in the
 * default partition into their months and drops that partition.
 */
export async function ensurePartitions(table: PartitionedTable, o: { from?: Date; q?: Queryable; now?: Date } = {}): Promise<void> {
  const q = o.q ?? db();
  await moveDefaultPartition(table, q);
  const existing = new Set((await listPartitions(table, q)).map((p) => p.name));
  const last = addMonths(monthStart(o.now ?? new Date()), MONTHS_AHEAD);
  for (let m = monthStart(o.from ?? o.now ?? new Date()); m <= last; m = addMonths(m, 1)) {
    if (!existing.has(partitionName(table, m))) await createPartition(q, table, m);
  }
}

/** Runs `ensurePartitions` for every partitioned table. */
export async function ensureAllPartitions(o: { q?: Queryable; now?: Date } = {}): Promise<void> {
  for (const table of PARTITIONED_TABLES) await ensurePartitions(table, o);
}

async function moveDefaultPartition(table: PartitionedTable, q: Queryable): Promise<void> {
  const name = `${table}_default`;
  const { rows } = await sql<{ present: boolean }>`SELECT to_regclass(${name}) IS NOT NULL AS present`.execute(q);
  if (!rows[0]?.present) return;
  await q.transaction().execute(async (trx) => {
    // Serialises instances that start together; the loser finds the work done.
    await sql`LOCK TABLE ${sql.id(table)} IN ACCESS EXCLUSIVE MODE`.execute(trx);
    const still = await sql<{ present: boolean }>`SELECT to_regclass(${name}) IS NOT NULL AS present`.execute(trx);
    if (!still.rows[0]?.present) return;
    await sql`ALTER TABLE ${sql.id(table)} DETACH PARTITION ${sql.id(name)}`.execute(trx);
    const { rows: range } = await sql<{ first: Date | null; last: Date | null; n: string }>`
      SELECT min(occurred_at) AS first, max(occurred_at) AS last, count(*)::text AS n FROM ${sql.id(name)}`.execute(trx);
    const { first, last } = range[0];
    if (first && last) {
      for (let m = monthStart(first); m <= monthStart(last); m = addMonths(m, 1)) await createPartition(trx, table, m);
      await sql`INSERT INTO ${sql.id(table)} SELECT * FROM ${sql.id(name)}`.execute(trx);
    }
    await sql`DROP TABLE ${sql.id(name)}`.execute(trx);
    logger.info({ table, rows: Number(range[0].n) }, "moved rows from the default partition into monthly partitions");
  });
}

/**
 * Detaches (concurrently: inserts and reads go on meanwhile) and drops one
 * partition. Not in a transaction: PostgreSQL runs a concurrent detach in
 * transactions of its own. A partition left detached by a crash halfway is
 * dropped by the next call.
 */
export async function dropPartition(table: PartitionedTable, name: string, q: Queryable = db()): Promise<void> {
  const { rows } = await sql<{ attached: boolean }>`
    SELECT EXISTS (SELECT 1 FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                    WHERE i.inhparent = ${table}::regclass AND c.relname = ${name}) AS attached`.execute(q);
  if (rows[0]?.attached) await sql`ALTER TABLE ${sql.id(table)} DETACH PARTITION ${sql.id(name)} CONCURRENTLY`.execute(q);
  await sql`DROP TABLE IF EXISTS ${sql.id(name)}`.execute(q);
}
