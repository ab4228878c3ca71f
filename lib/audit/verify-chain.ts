import { sha256Hex } from "../crypto.ts";
import { db } from "../db.ts";
import { canonicalEventBody, GENESIS_HASH } from "./append-event.ts";

export type ChainVerification =
  | { ok: true; events: number; headSeq: bigint; headHash: string }
  | { ok: false; events: number; brokenAt: bigint; reason: string };

/**
 * Recomputes the audit chain from the first event, in batches by sequence so
 * memory stays flat however long the log is, and reports the first broken
 * link: an edited event, a deleted one (gap), or a head that disagrees.
 */
export async function verifyChain(options: { batchSize?: number } = {}): Promise<ChainVerification> {
  const batchSize = options.batchSize ?? 5000;
  // The head is read first: every event up to it committed with it (they are
  // written in one transaction), and events appended while we verify lie
  // beyond it, so a live gateway can be verified without false alarms.
  const head = await db().auditHead.findUnique({ where: { id: 1 } });
  if (!head) return { ok: false, events: 0, brokenAt: 0n, reason: "the chain head is missing" };
  let prevHash = GENESIS_HASH;
  let expectedSeq = 1n;
  let count = 0;
  for (;;) {
    const rows = await db().auditEvent.findMany({
      where: { seq: { gte: expectedSeq, lte: head.seq } },
      orderBy: { seq: "asc" },
      take: batchSize,
    });
    for (const row of rows) {
      if (row.seq !== expectedSeq) {
        return { ok: false, events: count, brokenAt: expectedSeq, reason: `event ${expectedSeq} is missing` };
      }
      if (row.prevHash !== prevHash) {
        return { ok: false, events: count, brokenAt: row.seq, reason: "previous-hash link does not match" };
      }
      const body = canonicalEventBody(row);
      const hash = sha256Hex(`${prevHash}\n${row.seq}\n${body}`);
      if (hash !== row.hash) {
        return { ok: false, events: count, brokenAt: row.seq, reason: "event content does not match its hash" };
      }
      prevHash = hash;
      expectedSeq++;
      count++;
    }
    if (rows.length < batchSize) break;
  }
  if (head.seq !== expectedSeq - 1n || head.hash !== prevHash) {
    return { ok: false, events: count, brokenAt: expectedSeq, reason: "chain head does not match the last event (events removed from the end?)" };
  }
  return { ok: true, events: count, headSeq: head.seq, headHash: head.hash };
}
