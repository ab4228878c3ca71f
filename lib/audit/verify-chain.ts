import "server-only";
import type pg from "pg";
import { db, kyselyOver } from "../db.ts";
import { canonicalEventBody, GENESIS_HASH, linkHash } from "./append-event.ts";
import { checkpointsAfter, verifyCheckpointToken, type CheckpointRow } from "./checkpoints.ts";
import { chainEvents } from "./query-events.ts";
import { getChainStart, type ChainStart } from "./retention.ts";
import { unsealedTail } from "./sealer.ts";

/** One stored event, as verification and export read it. */
export interface ChainRow {
  seq: bigint;
  type: string;
  actor: string;
  requestId: string | null;
  agentId: string | null;
  data: unknown;
  occurredAt: Date;
  prevHash: string;
  hash: string;
}

/** Why a link is broken: an event was changed, removed, or the sequence is not in order. */
export type BreakKind = "edited" | "missing" | "out_of_order" | "truncated";

/** Events recorded but not yet chained by the sealer: outside what verification covers. */
export interface UnsealedTail {
  events: number;
  oldestAt: Date | null;
}

export type ChainVerification = (
  | { ok: true; events: number; fromSeq: bigint; headSeq: bigint; headHash: string; checkpoints: number }
  | { ok: false; events: number; brokenAt: bigint; kind: BreakKind; reason: string; checkpoints: number }
) & { unsealed?: UnsealedTail };

/**
 * Where verification reads from. The default reads the app's database; tests
 * and tools can pass another (a copy of the database, a fake that counts calls).
 */
export interface ChainSource {
  /** The chain head row: the seq and hash of the last appended event. */
  head(): Promise<{ seq: bigint; hash: string } | null>;
  /** Up to `limit` events with `afterSeq < seq <= upTo`, in seq order. */
  events(afterSeq: bigint, upTo: bigint, limit: number): Promise<ChainRow[]>;
  /** Up to `limit` checkpoints with seq > `afterSeq`, in seq order. */
  checkpoints(afterSeq: bigint, limit: number): Promise<CheckpointRow[]>;
  /** The public JWK of a signing key, for checking checkpoint signatures. */
  publicJwk(kid: string): Promise<Record<string, unknown> | null>;
  /** Where the stored chain starts (after retention deleted a prefix); seq 1 after genesis when absent. */
  start?(): Promise<ChainStart>;
  /** The events not yet chained, reported beside the verdict. */
  unsealed?(): Promise<UnsealedTail>;
}

/** A source over the app's database, or the one `pool` reaches: keyset pages by seq, never the whole log. */
export function sqlChainSource(pool?: pg.Pool): ChainSource {
  const q = pool ? kyselyOver(pool) : db();
  return {
    async head() {
      const head = await q.selectFrom("auditHead").select(["seq", "hash"]).where("id", "=", 1).executeTakeFirst();
      return head ? { seq: BigInt(head.seq), hash: head.hash } : null;
    },
    events: (afterSeq, upTo, limit) => chainEvents(q, afterSeq, upTo, limit),
    checkpoints: (afterSeq, limit) => checkpointsAfter(q, afterSeq, limit),
    async publicJwk(kid) {
      const key = await q.selectFrom("signingKeys").select("publicJwk").where("kid", "=", kid).executeTakeFirst();
      return (key?.publicJwk as Record<string, unknown> | undefined) ?? null;
    },
    start: () => getChainStart(q),
    unsealed: () => unsealedTail(q),
  };
}

export interface VerifyOptions {
  /** Events read per query (default 5,000): memory is bounded by one batch. */
  batchSize?: number;
  source?: ChainSource;
  /** Called after each batch with the number of events verified so far and the head being verified up to. */
  onProgress?: (verified: number, headSeq: bigint) => void;
}

/**
 * Recomputes the audit chain from the first event, streaming it in keyset
 * batches by seq so memory stays flat however long the log is, and checks it
 * against the signed checkpoints. Answers "intact up to event N" (the head's
 * seq and hash) or the first broken link:
 *
 * - `edited`: an event's content or previous-hash link does not match its hash;
 * - `missing`: a seq is absent (a deleted event);
 * - `out_of_order`: a seq appears where an earlier one was expected;
 * - `truncated`: events are gone from the end (the head was rewound, or
 *   disagrees with the last event), detected through a checkpoint that signed
 *   a longer chain, or a checkpoint whose hash the chain no longer reaches.
 *
 * The head is read first: every event up to it was sealed with it (the
 * sealer advances it in the transaction that chains them), and events sealed
 * while we verify lie beyond it, so a live gateway is verified without false
 * alarms. Events recorded but not yet sealed are reported as the unsealed
 * tail, beside the verdict.
 *
 * After retention deleted old events, verification starts at the first kept
 * event with the hash recorded at the cut, and the missing prefix is
 * accepted only if a chained `audit.events_deleted` event records exactly
 * that cut (see retention.ts); checkpoints before the cut are skipped.
 */
export async function verifyChain(options: VerifyOptions = {}): Promise<ChainVerification> {
  const source = options.source ?? sqlChainSource();
  const verdict = await verifySealed(source, options);
  const unsealed = await source.unsealed?.();
  return unsealed ? { ...verdict, unsealed } : verdict;
}

async function verifySealed(source: ChainSource, options: VerifyOptions): Promise<ChainVerification> {
  const batchSize = options.batchSize ?? 5000;
  const head = await source.head();
  let count = 0;
  let checked = 0;
  const broken = (brokenAt: bigint, kind: BreakKind, reason: string): ChainVerification => ({
    ok: false,
    events: count,
    brokenAt,
    kind,
    reason,
    checkpoints: checked,
  });
  if (!head) return broken(0n, "missing", "the chain head is missing");

  const start = (await source.start?.()) ?? { seq: 1n, prevHash: GENESIS_HASH };
  const cut = start.seq > 1n ? { through: (start.seq - 1n).toString(), hash: start.prevHash } : null;
  let cutVouched = cut === null;

  // Checkpoints are read in pages alongside the events, in seq order.
  const checkpoints = checkpointCursor(source, start.seq - 1n);
  let nextCheckpoint = await checkpoints.next();

  let prevHash = start.prevHash;
  let expectedSeq = start.seq;
  const atCheckpoint = async (seq: bigint, hash: string): Promise<ChainVerification | null> => {
    while (nextCheckpoint && nextCheckpoint.seq === seq) {
      const problem = await checkCheckpoint(source, nextCheckpoint, hash);
      if (problem) return broken(seq, problem.kind, problem.reason);
      checked++;
      nextCheckpoint = await checkpoints.next();
    }
    return null;
  };

  // One batch is read ahead while the current one is hashed, so the database
  // and this process work at once; at most two batches are held.
  let pending = source.events(expectedSeq - 1n, head.seq, batchSize);
  for (;;) {
    const rows = await pending;
    if (rows.length === batchSize) {
      pending = source.events(rows[rows.length - 1].seq, head.seq, batchSize);
      // A break found in this batch ends the walk: the read-ahead's outcome is then of no interest.
      pending.catch(() => {});
    }
    for (const row of rows) {
      if (row.seq > expectedSeq) return broken(expectedSeq, "missing", `event ${expectedSeq} is missing`);
      if (row.seq < expectedSeq) return broken(row.seq, "out_of_order", `event ${row.seq} appears after event ${expectedSeq - 1n}`);
      if (row.prevHash !== prevHash) return broken(row.seq, "edited", "previous-hash link does not match");
      const hash = linkHash(prevHash, row.seq, canonicalEventBody(row));
      if (hash !== row.hash) return broken(row.seq, "edited", "event content does not match its hash");
      const problem = await atCheckpoint(row.seq, hash);
      if (problem) return problem;
      if (!cutVouched && row.type === "audit.events_deleted") {
        const d = row.data as { through_seq?: unknown; hash_at_cut?: unknown } | null;
        cutVouched = d?.through_seq === cut!.through && d?.hash_at_cut === cut!.hash;
      }
      prevHash = hash;
      expectedSeq++;
      count++;
    }
    options.onProgress?.(count, head.seq);
    if (rows.length < batchSize) break;
  }
  if (head.seq !== expectedSeq - 1n) {
    return head.seq > expectedSeq - 1n
      ? broken(expectedSeq, "truncated", `the chain head is at event ${head.seq} but the events end at ${expectedSeq - 1n} (events removed from the end)`)
      : broken(expectedSeq, "out_of_order", "events exist beyond the chain head");
  }
  if (head.hash !== prevHash) return broken(head.seq, "edited", "chain head does not match the last event");
  if (!cutVouched) {
    return broken(start.seq - 1n, "missing", `events before ${start.seq} are gone and no chained deletion record (audit.events_deleted) vouches for that cut`);
  }
  // A checkpoint beyond the head signed a longer chain than the one stored:
  // the tail was cut and the head rewound to hide it.
  if (nextCheckpoint && nextCheckpoint.seq > head.seq) {
    const problem = await verifyCheckpointSignature(source, nextCheckpoint);
    if (!problem) {
      return broken(
        head.seq + 1n,
        "truncated",
        `checkpoint at event ${nextCheckpoint.seq} (${nextCheckpoint.createdAt.toISOString()}) was signed, but the chain ends at event ${head.seq}: events removed from the end`,
      );
    }
    return broken(nextCheckpoint.seq, "edited", `checkpoint at event ${nextCheckpoint.seq}: ${problem}`);
  }
  return { ok: true, events: count, fromSeq: start.seq, headSeq: head.seq, headHash: head.hash, checkpoints: checked };
}

function checkpointCursor(source: ChainSource, from: bigint) {
  let page: CheckpointRow[] = [];
  let after = from;
  let done = false;
  return {
    async next(): Promise<CheckpointRow | null> {
      if (page.length === 0 && !done) {
        page = await source.checkpoints(after, 1000);
        if (page.length < 1000) done = true;
        if (page.length) after = page[page.length - 1].seq;
      }
      return page.shift() ?? null;
    },
  };
}

async function verifyCheckpointSignature(source: ChainSource, cp: CheckpointRow): Promise<string | null> {
  const jwk = await source.publicJwk(cp.kid);
  if (!jwk) return `signing key ${cp.kid} is unknown`;
  const claims = await verifyCheckpointToken(cp.token, jwk);
  if (!claims) return "signature does not verify";
  if (claims.seq !== cp.seq || claims.headHash !== cp.headHash || claims.eventCount !== cp.eventCount) {
    return "stored fields differ from the signed ones";
  }
  return null;
}

async function checkCheckpoint(source: ChainSource, cp: CheckpointRow, hashAtSeq: string): Promise<{ kind: BreakKind; reason: string } | null> {
  const problem = await verifyCheckpointSignature(source, cp);
  if (problem) return { kind: "edited", reason: `checkpoint at event ${cp.seq}: ${problem}` };
  if (cp.headHash !== hashAtSeq) {
    return { kind: "edited", reason: `the chain at event ${cp.seq} does not match the signed checkpoint of ${cp.createdAt.toISOString()} (rewritten history)` };
  }
  return null;
}

/** A verification result as the API and `countersign audit verify --json` show it. */
export function verificationObject(r: ChainVerification) {
  const tail = { unsealed_events: r.unsealed?.events ?? 0, oldest_unsealed_at: r.unsealed?.oldestAt?.toISOString() ?? null };
  const verdict = r.ok
    ? {
        ok: true,
        events: r.events,
        from_seq: Number(r.fromSeq),
        head_seq: Number(r.headSeq),
        head_hash: r.headHash,
        checkpoints: r.checkpoints,
        broken_at: null,
        kind: null,
        reason: null,
      }
    : {
        ok: false,
        events: r.events,
        from_seq: null,
        head_seq: null,
        head_hash: null,
        checkpoints: r.checkpoints,
        broken_at: Number(r.brokenAt),
        kind: r.kind,
        reason: r.reason,
      };
  return { ...verdict, ...tail };
}

/**
 * A source that also checks checkpoints kept elsewhere (an exported file):
 * someone able to delete the tail of the log could delete the stored
 * checkpoints too, but not the copies an auditor keeps.
 */
export function withExtraCheckpoints(source: ChainSource, extra: CheckpointRow[]): ChainSource {
  const sorted = [...extra].sort((a, b) => (a.seq < b.seq ? -1 : a.seq > b.seq ? 1 : 0));
  return {
    ...source,
    async checkpoints(afterSeq, limit) {
      // The first `limit` of the merge lie within the first `limit` of each side.
      const stored = await source.checkpoints(afterSeq, limit);
      const kept = sorted.filter((c) => c.seq > afterSeq).slice(0, limit);
      return [...stored, ...kept].sort((a, b) => (a.seq < b.seq ? -1 : a.seq > b.seq ? 1 : 0)).slice(0, limit);
    },
  };
}
