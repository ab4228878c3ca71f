import type pg from "pg";
import { canonicalEventBody, linkHash } from "../../lib/audit/append-event.ts";
import { ensurePartitions } from "../../lib/partitions.ts";
import { kyselyOver } from "../../lib/db.ts";

/**
 * Appends `count` events already sealed, in bulk, hashing in Node exactly as
 * the sealer does (lib/audit/sealer.ts), inserting 5,000 rows per statement
 * (unnest of arrays) and advancing the head, all under the head's row lock.
 * For tests and benchmarks that need long chains quickly.
 */
export async function appendBulk(
  pool: pg.Pool,
  count: number,
  make: (i: number) => {
    type: string;
    actor: string;
    requestId?: string | null;
    agentId?: string | null;
    data?: Record<string, unknown>;
    occurredAt?: Date;
  } = (i) => ({
    type: "bench.event",
    actor: i % 3 === 0 ? "system" : `agent:agt_bench${i % 50}`,
    data: { i, note: "synthetic event for verification benchmarks" },
  }),
): Promise<{ firstSeq: bigint; lastSeq: bigint }> {
  // Old timestamps need their months' partitions, made before the head is locked.
  const made = Array.from({ length: count }, (_, i) => make(i));
  const oldest = made.reduce((min, m) => (m.occurredAt && m.occurredAt < min ? m.occurredAt : min), new Date());
  await ensurePartitions("audit_events", { from: oldest, q: kyselyOver(pool) });
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    const { rows } = await client.query<{ seq: string; hash: string }>("SELECT seq::text, hash FROM audit_head WHERE id = 1 FOR UPDATE");
    let seq = BigInt(rows[0].seq);
    let prev = rows[0].hash;
    const firstSeq = seq + 1n;
    const BATCH = 5000;
    for (let start = 0; start < count; start += BATCH) {
      const cols: unknown[][] = [[], [], [], [], [], [], [], [], []];
      for (let i = start; i < Math.min(count, start + BATCH); i++) {
        const m = made[i];
        // Whole milliseconds, as the column stores them.
        const e = {
          type: m.type,
          actor: m.actor,
          requestId: m.requestId ?? null,
          agentId: m.agentId ?? null,
          data: m.data ?? {},
          occurredAt: m.occurredAt ?? new Date(),
        };
        seq++;
        const hash = linkHash(prev, seq, canonicalEventBody(e));
        const values = [seq.toString(), e.type, e.actor, e.requestId, e.agentId, JSON.stringify(e.data), e.occurredAt.toISOString(), prev, hash];
        for (const [k, v] of values.entries()) cols[k].push(v);
        prev = hash;
      }
      await client.query(
        `INSERT INTO audit_events (seq, type, actor, request_id, agent_id, data, occurred_at, prev_hash, hash)
         SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::jsonb[], $7::timestamptz[], $8::text[], $9::text[])`,
        cols,
      );
    }
    const { rows: before } = await client.query<{ prev: string }>("SELECT hash AS prev FROM audit_events WHERE seq = $1", [(seq - 1n).toString()]);
    await client.query("UPDATE audit_head SET seq = $1, hash = $2, prev = $3 WHERE id = 1", [seq.toString(), prev, before[0]?.prev ?? ""]);
    await client.query("COMMIT");
    return { firstSeq, lastSeq: seq };
  } catch (err) {
    await client.query("ROLLBACK").catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}
