import "server-only";
import { sql } from "kysely";
import { appendEvents } from "../audit/append-event.ts";
import { db, type Queryable, transact } from "../db.ts";
import { env } from "../env.ts";
import { logger } from "../logger.ts";
import { attachPartition, detachPartition, listDetached, listPartitions, type Partition } from "../partitions.ts";

const DAY = 86_400_000;

export interface DroppedDeliveries {
  partition: string;
  /** The month, `YYYY-MM` (UTC). */
  month: string;
  rows: number;
}

/** Rows the worker may still send: pending, or failed and due for another attempt. */
const UNFINISHED = sql`status IN ('pending', 'failed')`;

/**
 * Delivery retention: the outbox (deliveries, with each message's full
 * payload) is partitioned by month of created_at, and a month is removed
 * whole once it ended more than COUNTERSIGN_DELIVERY_RETENTION_DAYS ago and
 * every delivery in it is finished (delivered, or dead: failed for good). A
 * month still holding a pending delivery, or a failed one awaiting its next
 * attempt, waits for a later run.
 *
 * Each month is detached concurrently (inserts, the worker and the history
 * reads go on meanwhile), then, detached and so no longer written, checked
 * again and counted exactly: the drop is recorded as a
 * `deliveries.partition_dropped` audit event, and the table dropped after it
 * in the same transaction (recorded exactly once, never dropped unrecorded).
 * A delivery retried between the first check and the detach makes the month
 * go back (attached again) to wait. A run stopped between its
 * detach and its drop is finished by the next one. Runs on several instances
 * take turns (an advisory lock): the loser skips its turn.
 */
export async function applyDeliveryRetention(o: { days?: number; now?: Date; q?: Queryable } = {}): Promise<DroppedDeliveries[]> {
  // One run at a time across instances (a session lock on one connection: a concurrent detach runs outside transactions).
  return (o.q ?? db()).connection().execute(async (q) => {
    const { rows } = await sql<{ ok: boolean }>`SELECT pg_try_advisory_lock(hashtext(${LOCK})) AS ok`.execute(q);
    if (!rows[0].ok) return [];
    try {
      return await run(q, o);
    } finally {
      await sql`SELECT pg_advisory_unlock(hashtext(${LOCK}))`.execute(q);
    }
  });
}

const LOCK = "countersign.delivery_retention";

async function run(q: Queryable, o: { days?: number; now?: Date }): Promise<DroppedDeliveries[]> {
  const days = o.days ?? env().COUNTERSIGN_DELIVERY_RETENTION_DAYS;
  const cutoff = new Date((o.now ?? new Date()).getTime() - days * DAY);
  const detached = await listDetached("deliveries", q);
  const attached = (await listPartitions("deliveries", q)).filter((p) => p.to <= cutoff);
  const dropped: DroppedDeliveries[] = [];
  for (const p of attached) {
    const { rows } = await sql<{ unfinished: boolean }>`
      SELECT EXISTS (SELECT 1 FROM ${sql.id(p.name)} WHERE ${UNFINISHED}) AS unfinished`.execute(q);
    if (rows[0].unfinished) continue;
    await detachPartition("deliveries", p.name, q);
    detached.push(p);
  }
  for (const p of detached) {
    const done = await dropDetached(p, q);
    if (done) dropped.push(done);
  }
  return dropped;
}

async function dropDetached(p: Partition, q: Queryable): Promise<DroppedDeliveries | null> {
  const month = p.from.toISOString().slice(0, 7);
  const recorded = await transact(async (trx) => {
    const { rows } = await sql<{ n: string; unfinished: boolean }>`
      SELECT count(*)::text AS n, coalesce(bool_or(${UNFINISHED}), false) AS unfinished FROM ${sql.id(p.name)}`.execute(trx);
    if (rows[0].unfinished) return null;
    const n = Number(rows[0].n);
    await appendEvents(trx, [{ type: "deliveries.partition_dropped", actor: "system", data: { partition: p.name, month, rows: n } }]);
    // Detached, so no one else uses it: dropped in the transaction that records it, after the record.
    await sql`DROP TABLE ${sql.id(p.name)}`.execute(trx);
    return n;
  }, q);
  if (recorded === null) {
    await attachPartition("deliveries", p, q);
    logger.info({ partition: p.name }, "a delivery of this month was retried meanwhile: the month is kept");
    return null;
  }
  logger.info({ partition: p.name, rows: recorded }, "dropped a month of finished deliveries");
  return { partition: p.name, month, rows: recorded };
}
