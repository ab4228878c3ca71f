import "server-only";
import { sql } from "kysely";
import type pg from "pg";
import { db, kyselyOver, type Queryable, transact } from "../db.ts";
import { appendEvents, GENESIS_HASH } from "./append-event.ts";
import { dropPartition, listPartitions } from "../partitions.ts";
import { sealAll } from "./sealer.ts";

/**
 * Audit retention is explicit: nothing is deleted unless an admin sets a
 * policy (`countersign audit retention --days N`). The log is partitioned by
 * calendar month (UTC), and applying the policy removes whole months that
 * ended more than N days ago: it records the cut first (the last chained
 * event removed, with its hash, in an `audit.events_deleted` event that is
 * itself chained, and the new chain start), then detaches each old partition
 * concurrently and drops it, so no writer or reader waits on the deletion.
 * Verification starts from the first kept event, with the recorded hash as
 * its previous hash, and accepts the missing prefix only when a chained
 * deletion event vouches for exactly that cut: deleting old events any other
 * way still breaks the chain.
 *
 * The chain's order is the order in which transactions finished, the
 * partitions' the events' timestamps: an event chained before the cut but
 * stamped just after the month's end (a transaction that took its time) is
 * deleted with the month, so the removed part is always a prefix.
 */

const POLICY_KEY = "audit.retention";
const START_KEY = "audit.chain_start";

export interface RetentionPolicy {
  days: number;
}

/** Where the stored chain starts: seq 1 after genesis, or the first event kept after a deletion. */
export interface ChainStart {
  seq: bigint;
  prevHash: string;
}

/** The app's query builder, or one over a given pool (tests and tools reading another database). */
function over(pool?: pg.Pool): Queryable {
  return pool ? kyselyOver(pool) : db();
}

async function setting(q: Queryable, key: string): Promise<unknown> {
  return (await q.selectFrom("settings").select("value").where("key", "=", key).executeTakeFirst())?.value ?? null;
}

export async function getRetention(pool?: pg.Pool): Promise<RetentionPolicy | null> {
  const days = ((await setting(over(pool), POLICY_KEY)) as { days?: unknown } | null)?.days;
  return typeof days === "number" && days > 0 ? { days } : null;
}

export async function getChainStart(pool?: pg.Pool | Queryable): Promise<ChainStart> {
  const q = pool === undefined ? db() : "selectFrom" in pool ? pool : kyselyOver(pool);
  const v = (await setting(q, START_KEY)) as { seq?: string; prev_hash?: string } | null;
  return v?.seq && v.prev_hash ? { seq: BigInt(v.seq), prevHash: v.prev_hash } : { seq: 1n, prevHash: GENESIS_HASH };
}

async function putSetting(trx: Queryable, key: string, value: unknown): Promise<void> {
  await trx
    .insertInto("settings")
    .values({ key, value: JSON.stringify(value), updatedAt: new Date() })
    .onConflict((oc) => oc.column("key").doUpdateSet({ value: JSON.stringify(value), updatedAt: new Date() }))
    .execute();
}

/** Sets (days) or removes (null) the retention policy; the change is itself an audit event. */
export async function setRetention(days: number | null, actor: string, pool?: pg.Pool): Promise<void> {
  if (days !== null && !(Number.isInteger(days) && days >= 1)) throw new Error("retention must be a whole number of days, at least 1");
  await transact(async (trx) => {
    if (days === null) await trx.deleteFrom("settings").where("key", "=", POLICY_KEY).execute();
    else await putSetting(trx, POLICY_KEY, { days });
    await appendEvents(trx, [{ type: "audit.retention_set", actor, data: { days } }]);
  }, over(pool));
}

export interface RetentionResult {
  deleted: number;
  fromSeq: bigint | null;
  throughSeq: bigint | null;
}

/**
 * Applies the policy (if any): removes the months that ended before
 * `now - days`, only from the start of the chain (never a gap in the middle),
 * records the cut as a chained event and moves the chain start. Does nothing
 * without a policy or when nothing is old enough. A month whose events are
 * not all chained yet waits for a later run.
 */
export async function applyRetention(actor: string, options: { db?: pg.Pool; now?: Date } = {}): Promise<RetentionResult> {
  const q = over(options.db);
  const none = { deleted: 0, fromSeq: null, throughSeq: null };
  const policy = await getRetention(options.db);
  if (!policy) return none;
  const cutoff = new Date((options.now ?? new Date()).getTime() - policy.days * 86_400_000);
  const old = (await listPartitions("audit_events", q)).filter((p) => p.to <= cutoff);
  if (old.length === 0) return none;
  const keptFrom = old[old.length - 1].to;
  // Everything committed so far gets its place in the chain before the cut is chosen.
  await sealAll(q);

  const result = await transact(async (trx) => {
    // The head's lock serialises this with the sealer (and another instance applying retention).
    await trx.selectFrom("auditHead").select("seq").where("id", "=", 1).forUpdate().execute();
    const { rows: stats } = await sql<{ through: string | null; unsealed: boolean }>`
      SELECT max(seq)::text AS through, bool_or(seq IS NULL) AS unsealed FROM audit_events WHERE occurred_at < ${keptFrom}`.execute(trx);
    if (stats[0].unsealed) return null;
    const start = await getChainStart(trx);
    const through = stats[0].through === null ? null : BigInt(stats[0].through);
    if (through === null || through < start.seq) return { ...none, cut: false };
    const cut = await trx.selectFrom("auditEvents").select("hash").where("seq", "=", through.toString()).executeTakeFirst();
    if (!cut?.hash) throw new Error(`event ${through} is missing: verify the chain before applying retention`);
    const { count } = await trx
      .selectFrom("auditEvents")
      .select((eb) => eb.fn.countAll<string>().as("count"))
      .where("seq", ">=", start.seq.toString())
      .where("seq", "<=", through.toString())
      .executeTakeFirstOrThrow();
    // Chained before the cut, stamped after the last removed month: removed with it, keeping the cut a prefix.
    await trx.deleteFrom("auditEvents").where("occurredAt", ">=", keptFrom).where("seq", "<=", through.toString()).execute();
    await putSetting(trx, START_KEY, { seq: (through + 1n).toString(), prev_hash: cut.hash });
    await appendEvents(trx, [
      {
        type: "audit.events_deleted",
        actor,
        data: {
          from_seq: start.seq.toString(),
          through_seq: through.toString(),
          count: Number(count),
          hash_at_cut: cut.hash,
          retention_days: policy.days,
          cutoff: cutoff.toISOString(),
          partitions: old.map((p) => p.name),
        },
      },
    ]);
    return { deleted: Number(count), fromSeq: start.seq, throughSeq: through, cut: true };
  }, q);
  if (result === null) return none;
  // The cut is recorded: now the rows go, without blocking anyone.
  for (const p of old) await dropPartition("audit_events", p.name, q);
  if (result.cut) await sealAll(q);
  return { deleted: result.deleted, fromSeq: result.fromSeq, throughSeq: result.throughSeq };
}
