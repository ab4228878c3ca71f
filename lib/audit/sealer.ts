import "server-only";
import { sql } from "kysely";
import pg from "pg";
import { db, kyselyOver, type Queryable } from "../db.ts";
import { env } from "../env.ts";
import { announce } from "../events/notify.ts";
import { logger } from "../logger.ts";
import { canonicalEventBody, linkHash } from "./append-event.ts";

/**
 * The audit sealer: chains committed audit events, off the request path.
 *
 * A request's transaction only inserts its events (`seq`, `prev_hash` and
 * `hash` null), so writers never wait on each other for the chain. One sealer
 * across all instances (the holder of a session advisory lock on its own
 * connection; when its process or connection dies, another instance takes
 * over within seconds) reads unsealed events in batches and gives each the
 * next `seq`, the previous hash and its hash, advancing `audit_head` in the
 * same transaction.
 *
 * Order: only events whose transaction id is below the `xmin` of the sealer's
 * snapshot, i.e. of transactions that have all finished, in transaction-id
 * order. Every transaction still running, or yet to write, has an id at or
 * above that `xmin`, so no event can later commit behind the sealed chain,
 * and the chain never forks: a batch either commits whole or not at all, and
 * the head row lock makes a second sealer (should two ever run) wait and then
 * continue from the new head.
 *
 * A long transaction anywhere in the PostgreSQL cluster holds `xmin` back and
 * with it the sealing (never the writes): verification reports the unsealed
 * tail until it ends.
 */

export const SEALER_LOCK_KEY = 0x636f756e74657273n; // "counters"
const BATCH = 2000;

/** Seals one batch on `q` (a connection, or the pool in tests and the CLI); answers how many events it sealed. */
export async function sealBatch(q: Queryable, limit = BATCH): Promise<number> {
  return q.transaction().execute(async (trx) => {
    // The candidates first: this statement's snapshot (taken before this transaction has an id) decides what is old enough.
    const { rows } = await sql<{
      id: string;
      occurredAt: Date;
      type: string;
      actor: string;
      requestId: string | null;
      agentId: string | null;
      data: unknown;
    }>`SELECT id, occurred_at, type, actor, request_id, agent_id, data FROM audit_events
        WHERE seq IS NULL AND tx_id < pg_snapshot_xmin(pg_current_snapshot())
        ORDER BY tx_id, id LIMIT ${limit}`.execute(trx);
    if (rows.length === 0) return 0;
    const head = await trx.selectFrom("auditHead").select(["seq", "hash"]).where("id", "=", 1).forUpdate().executeTakeFirstOrThrow();
    let seq = BigInt(head.seq);
    let prev = head.hash;
    const ids: string[] = [];
    const at: Date[] = [];
    const seqs: string[] = [];
    const prevs: string[] = [];
    const hashes: string[] = [];
    for (const e of rows) {
      seq += 1n;
      const hash = linkHash(prev, seq, canonicalEventBody(e));
      ids.push(e.id);
      at.push(e.occurredAt);
      seqs.push(seq.toString());
      prevs.push(prev);
      hashes.push(hash);
      prev = hash;
    }
    const sealed = await sql`
      UPDATE audit_events e SET seq = x.seq, prev_hash = x.prev, hash = x.hash
        FROM unnest(${ids}::bigint[], ${at}::timestamptz[], ${seqs}::bigint[], ${prevs}::text[], ${hashes}::text[]) AS x(id, occurred_at, seq, prev, hash)
       WHERE e.id = x.id AND e.occurred_at = x.occurred_at AND e.seq IS NULL`.execute(trx);
    // Nothing else seals while the head is locked: every candidate must still be unsealed.
    if (Number(sealed.numAffectedRows) !== rows.length) throw new Error("audit sealing raced another sealer; the batch was rolled back");
    await trx
      .updateTable("auditHead")
      .set({ seq: seq.toString(), prev: prevs[prevs.length - 1], hash: prev })
      .where("id", "=", 1)
      .execute();
    return rows.length;
  });
}

/** Seals until nothing old enough is left (CLI, tests, and reads that want every committed event chained). */
export async function sealAll(q: Queryable = db()): Promise<number> {
  let total = 0;
  for (;;) {
    const n = await sealBatch(q);
    total += n;
    if (n < BATCH) return total;
  }
}

/**
 * Waits until every event committed before this call is sealed (by this
 * process if it leads, or by the leader elsewhere), for at most `timeoutMs`.
 * Answers whether they are. For reads of the audit log that should include
 * what the caller just did.
 */
export async function awaitSealed(timeoutMs = 2000): Promise<boolean> {
  const { rows } = await sql<{ xmax: string }>`SELECT pg_snapshot_xmax(pg_current_snapshot())::text AS xmax`.execute(db());
  const horizon = rows[0].xmax;
  const deadline = Date.now() + timeoutMs;
  for (let wait = 5; ; wait = Math.min(wait * 2, 100)) {
    const { rows: left } = await sql<{ left: boolean }>`
      SELECT EXISTS (SELECT 1 FROM audit_events WHERE seq IS NULL AND tx_id < ${horizon}::xid8) AS left`.execute(db());
    if (!left[0].left) return true;
    if (Date.now() >= deadline) return false;
    // Seal here rather than wait for the leader: safe, since a batch that
    // races the leader's finds its events sealed and rolls back.
    await sealBatch(db()).catch(() => new Promise((r) => setTimeout(r, wait)));
  }
}

/** What verification reports beyond the sealed chain. */
export async function unsealedTail(q: Queryable = db()): Promise<{ events: number; oldestAt: Date | null }> {
  const { rows } = await sql<{ n: string; oldest: Date | null }>`
    SELECT count(*)::text AS n, min(occurred_at) AS oldest FROM audit_events WHERE seq IS NULL`.execute(q);
  return { events: Number(rows[0].n), oldestAt: rows[0].oldest };
}

/**
 * The sealing loop of one process: it competes for leadership every few
 * seconds, and while it leads, seals a batch whenever woken (events were
 * appended in this process) or on a short timer (events from other instances).
 */
export class AuditSealer {
  private stopped = false;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private leading = false;

  constructor(
    private readonly url: string,
    private readonly intervalMs = 50,
    private readonly retryMs = 2000,
  ) {}

  start(): void {
    this.loop ??= this.run();
  }

  /** Seal soon (something was appended). */
  nudge(): void {
    this.wake?.();
  }

  isLeader(): boolean {
    return this.leading;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      timer.unref();
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }

  private async run(): Promise<void> {
    // Leadership needs a session of its own: the advisory lock lives as long as that connection.
    while (!this.stopped) {
      const pool = new pg.Pool({ connectionString: this.url, max: 1 });
      pool.on("error", () => {});
      const own = kyselyOver(pool);
      try {
        await own.connection().execute(async (conn) => {
          const { rows } = await sql<{ locked: boolean }>`SELECT pg_try_advisory_lock(${SEALER_LOCK_KEY.toString()}::bigint) AS locked`.execute(conn);
          if (!rows[0].locked) return;
          this.leading = true;
          while (!this.stopped) {
            let n = 0;
            try {
              n = await sealBatch(conn);
            } catch (err) {
              // A batch that raced a direct seal (an audit read sealing for itself) rolled
              // back whole: keep leading. A dead session fails this probe and ends leadership.
              await sql`SELECT 1`.execute(conn);
              logger.debug({ err: (err as Error).message }, "audit seal batch rolled back; retrying");
            }
            if (n > 0) announce([{ kind: "audit" }]);
            if (n < BATCH) await this.sleep(this.intervalMs);
          }
        });
      } catch (err) {
        if (!this.stopped) logger.warn({ err: (err as Error).message }, "audit sealer lost its connection; retrying");
      } finally {
        this.leading = false;
        await own.destroy().catch(() => {});
      }
      if (!this.stopped) await this.sleep(this.retryMs);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
  }
}

let current: AuditSealer | undefined;

/** This process's sealer, if started (`startSealer`). */
export function sealer(): AuditSealer | undefined {
  return current;
}

export function startSealer(): AuditSealer {
  const url = env().DATABASE_URL;
  if (!url) throw new Error("DATABASE_URL is not set");
  current ??= new AuditSealer(url);
  current.start();
  return current;
}

export async function stopSealer(): Promise<void> {
  const stopping = current;
  current = undefined;
  await stopping?.stop();
}
