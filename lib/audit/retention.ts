import "server-only";
import type pg from "pg";
import { pool, transaction } from "../db.ts";
import { appendEventsPg, GENESIS_HASH } from "./append-event.ts";

/**
 * Audit retention is explicit: nothing is deleted unless an admin sets a
 * policy (`countersign audit retention --days N`). Applying it deletes the
 * events older than N days from the start of the chain, and in the same
 * transaction appends an `audit.events_deleted` event that records the range
 * removed and the hash at the cut, and moves the chain start to the first
 * kept event. Verification then starts from that event, with the recorded
 * hash as its previous hash, and accepts the missing prefix only when a
 * chained deletion event vouches for exactly that cut: deleting old events
 * any other way still breaks the chain.
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

type Queryable = Pick<pg.Pool, "query">;

export async function getRetention(db: Queryable = pool()): Promise<RetentionPolicy | null> {
  const { rows } = await db.query<{ value: { days?: number } | null }>("SELECT value FROM settings WHERE key = $1", [POLICY_KEY]);
  const days = rows[0]?.value?.days;
  return typeof days === "number" && days > 0 ? { days } : null;
}

export async function getChainStart(db: Queryable = pool()): Promise<ChainStart> {
  const { rows } = await db.query<{ value: { seq?: string; prev_hash?: string } | null }>("SELECT value FROM settings WHERE key = $1", [START_KEY]);
  const v = rows[0]?.value;
  return v?.seq && v.prev_hash ? { seq: BigInt(v.seq), prevHash: v.prev_hash } : { seq: 1n, prevHash: GENESIS_HASH };
}

/** Sets (days) or removes (null) the retention policy; the change is itself an audit event. */
export async function setRetention(days: number | null, actor: string, db: pg.Pool = pool()): Promise<void> {
  if (days !== null && !(Number.isInteger(days) && days >= 1)) throw new Error("retention must be a whole number of days, at least 1");
  await transaction(async (client) => {
    if (days === null) await client.query("DELETE FROM settings WHERE key = $1", [POLICY_KEY]);
    else {
      await client.query(
        "INSERT INTO settings (key, value, updated_at) VALUES ($1, $2::jsonb, now()) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()",
        [POLICY_KEY, JSON.stringify({ days })],
      );
    }
    await appendEventsPg(client, [{ type: "audit.retention_set", actor, data: { days } }]);
  }, db);
}

export interface RetentionResult {
  deleted: number;
  fromSeq: bigint | null;
  throughSeq: bigint | null;
}

/**
 * Applies the policy (if any): deletes events that occurred before
 * `now - days`, only from the start of the chain (never a gap in the middle),
 * records the deletion as a chained event and moves the chain start. Does
 * nothing without a policy or when nothing is old enough.
 */
export async function applyRetention(actor: string, options: { db?: pg.Pool; now?: Date } = {}): Promise<RetentionResult> {
  const db = options.db ?? pool();
  const policy = await getRetention(db);
  const none = { deleted: 0, fromSeq: null, throughSeq: null };
  if (!policy) return none;
  const cutoff = new Date((options.now ?? new Date()).getTime() - policy.days * 86_400_000);
  return transaction(async (client) => {
    // The head's lock serialises this with every append (and another instance applying retention).
    await client.query("SELECT 1 FROM audit_head WHERE id = 1 FOR UPDATE");
    const start = await getChainStart(client as unknown as Queryable);
    // The cut: the last event of the unbroken run of old events from the start.
    const { rows } = await client.query<{ through: string | null }>(
      `SELECT (min(seq) - 1)::text AS through FROM audit_events WHERE seq >= $1 AND occurred_at >= $2`,
      [start.seq.toString(), cutoff],
    );
    let through = rows[0]?.through ? BigInt(rows[0].through) : null;
    if (through === null) {
      // Every stored event is old: keep the last one, so the chain still has a start to verify from.
      const { rows: head } = await client.query<{ seq: string }>("SELECT seq::text FROM audit_head WHERE id = 1");
      through = BigInt(head[0].seq) - 1n;
    }
    if (through < start.seq) return none;
    const { rows: cut } = await client.query<{ hash: string }>("SELECT hash FROM audit_events WHERE seq = $1", [through.toString()]);
    if (!cut[0]) throw new Error(`event ${through} is missing: verify the chain before applying retention`);
    const { rowCount } = await client.query("DELETE FROM audit_events WHERE seq >= $1 AND seq <= $2", [start.seq.toString(), through.toString()]);
    await client.query(
      "INSERT INTO settings (key, value, updated_at) VALUES ($1, $2::jsonb, now()) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()",
      [START_KEY, JSON.stringify({ seq: (through + 1n).toString(), prev_hash: cut[0].hash })],
    );
    await appendEventsPg(client, [
      {
        type: "audit.events_deleted",
        actor,
        data: {
          from_seq: start.seq.toString(),
          through_seq: through.toString(),
          count: rowCount ?? 0,
          hash_at_cut: cut[0].hash,
          retention_days: policy.days,
          cutoff: cutoff.toISOString(),
        },
      },
    ]);
    return { deleted: rowCount ?? 0, fromSeq: start.seq, throughSeq: through };
  }, db);
}
