import "server-only";
import { sql } from "kysely";
import { db, type Queryable } from "./db.ts";

/**
 * Monthly partitions (UTC calendar months) of the time-partitioned tables.
 * Each partition is named `<table>_YYYY_MM`; the app creates them ahead of
 * time, so an insert always finds its partition, and retention detaches and
 * drops whole partitions instead of deleting rows under locks.
 */
export const PARTITIONED_TABLES = ["audit_events", "deliveries", "risk_agent_hourly"] as const;
export type PartitionedTable = (typeof PARTITIONED_TABLES)[number];

const DAY = 86_400_000;

/**
 * Per table: the column it is partitioned by, and how many days back from now
 * partitions must exist (rows written with a past timestamp find their month;
 * 0: only from this month on).
 */
export const PARTITIONING: Record<PartitionedTable, { column: string; backDays: number }> = {
  audit_events: { column: "occurred_at", backDays: 0 },
  deliveries: { column: "created_at", backDays: 0 },
  // Hours are flushed up to HISTORY_FLOOR (8 days) back (lib/risk/record-risk-history.ts); one more day of margin.
  risk_agent_hourly: { column: "hour", backDays: 9 },
};

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

function parseName(table: PartitionedTable, name: string): Partition | null {
  const m = new RegExp(`^${table}_(\\d{4})_(\\d{2})$`).exec(name);
  if (!m) return null;
  const from = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, 1));
  return { name, from, to: addMonths(from, 1) };
}

/** The monthly partitions attached to `table`, oldest first (the default partition is not one of them). */
export async function listPartitions(table: PartitionedTable, q: Queryable = db()): Promise<Partition[]> {
  const { rows } = await sql<{ name: string }>`
    SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = ${table}::regclass`.execute(q);
  return rows.flatMap((r) => parseName(table, r.name) ?? []).sort((a, b) => a.from.getTime() - b.from.getTime());
}

/**
 * Monthly tables of `table` that are not attached to it: left detached by a
 * retention run that stopped between its detach and its drop. Oldest first.
 */
export async function listDetached(table: PartitionedTable, q: Queryable = db()): Promise<Partition[]> {
  const { rows } = await sql<{ name: string }>`
    SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = current_schema() AND c.relkind = 'r' AND NOT c.relispartition
       AND c.relname LIKE ${`${table}\\_%`}`.execute(q);
  return rows.flatMap((r) => parseName(table, r.name) ?? []).sort((a, b) => a.from.getTime() - b.from.getTime());
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
 * this month, or its PARTITIONING.backDays before now) to MONTHS_AHEAD months ahead. Idempotent and safe to run on
 * several instances at once. The first time after the migration that
 * partitioned the table, it also moves the rows the migration put in the
 * default partition into their months and drops that partition.
 */
export async function ensurePartitions(table: PartitionedTable, o: { from?: Date; q?: Queryable; now?: Date } = {}): Promise<void> {
  const q = o.q ?? db();
  await moveDefaultPartition(table, q);
  const existing = new Set((await listPartitions(table, q)).map((p) => p.name));
  const last = addMonths(monthStart(o.now ?? new Date()), MONTHS_AHEAD);
  const now = o.now ?? new Date();
  const from = o.from ?? new Date(now.getTime() - PARTITIONING[table].backDays * DAY);
  for (let m = monthStart(from); m <= last; m = addMonths(m, 1)) {
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
    const column = sql.id(PARTITIONING[table].column);
    const { rows: range } = await sql<{ first: Date | null; last: Date | null; n: string }>`
      SELECT min(${column}) AS first, max(${column}) AS last, count(*)::text AS n FROM ${sql.id(name)}`.execute(trx);
    const { first, last } = range[0];
    if (first && last) {
      for (let m = monthStart(first); m <= monthStart(last); m = addMonths(m, 1)) await createPartition(trx, table, m);
      await sql`INSERT INTO ${sql.id(table)} SELECT * FROM ${sql.id(name)}`.execute(trx);
    }
    // No log line: this runs inside `migrate`, before the caller's environment
    // (and with it the logger's settings) is final, e.g. in test and bench set-ups.
    await sql`DROP TABLE ${sql.id(name)}`.execute(trx);
  });
}

/**
 * Detaches one partition concurrently: inserts and reads of the table go on
 * meanwhile. Not in a transaction: PostgreSQL runs a concurrent detach in
 * transactions of its own. A detach interrupted halfway (the partition left
 * "detach pending") is finished. Does nothing when it is not attached.
 */
export async function detachPartition(table: PartitionedTable, name: string, q: Queryable = db()): Promise<void> {
  const { rows } = await sql<{ pending: boolean }>`
    SELECT i.inhdetachpending AS pending FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = ${table}::regclass AND c.relname = ${name}`.execute(q);
  if (rows.length === 0) return;
  if (rows[0].pending) await sql`ALTER TABLE ${sql.id(table)} DETACH PARTITION ${sql.id(name)} FINALIZE`.execute(q);
  else await sql`ALTER TABLE ${sql.id(table)} DETACH PARTITION ${sql.id(name)} CONCURRENTLY`.execute(q);
}

/** Attaches a detached monthly table back as its month (a scan of it validates the range; writers are not blocked). */
export async function attachPartition(table: PartitionedTable, p: Partition, q: Queryable = db()): Promise<void> {
  await sql`ALTER TABLE ${sql.id(table)} ATTACH PARTITION ${sql.id(p.name)}
            FOR VALUES FROM (${sql.lit(p.from.toISOString())}) TO (${sql.lit(p.to.toISOString())})`.execute(q);
}

/**
 * Detaches (concurrently: inserts and reads go on meanwhile) and drops one
 * partition. A partition left detached by a crash halfway is dropped by the
 * next call.
 */
export async function dropPartition(table: PartitionedTable, name: string, q: Queryable = db()): Promise<void> {
  await detachPartition(table, name, q);
  await sql`DROP TABLE IF EXISTS ${sql.id(name)}`.execute(q);
}
