import { canonicalJson } from "../crypto.ts";
import type { Tx } from "../db.ts";

export interface AuditEventInput {
  /** Dotted event type, e.g. `request.created`, `grant.redeemed`. */
  type: string;
  /** Who caused it: `agent:agt_…`, `user:usr_…`, `policy:pol_…`, `system`, `executor`. */
  actor: string;
  requestId?: string | null;
  agentId?: string | null;
  data?: Record<string, unknown>;
}

/** The canonical text an event's hash covers (also recomputed by verification). */
export function canonicalEventBody(e: {
  type: string;
  actor: string;
  requestId: string | null;
  agentId: string | null;
  data: unknown;
  occurredAt: Date;
}): string {
  return canonicalJson({
    type: e.type,
    actor: e.actor,
    request_id: e.requestId,
    agent_id: e.agentId,
    data: e.data,
    occurred_at: e.occurredAt.toISOString(),
  });
}

export const GENESIS_HASH = "0".repeat(64);

/**
 * Appends events to the hash chain inside the caller's transaction.
 *
 * One statement per event advances the single `audit_head` row and inserts
 * the event: hash = SHA-256(prev_hash "\n" seq "\n" canonical body). The row
 * lock on `audit_head` is held until the transaction commits, which
 * serialises appends across every app instance so the chain cannot fork.
 * Call it as the last write of a transaction to keep that lock short.
 */
export async function appendEvents(tx: Tx, events: AuditEventInput[]): Promise<void> {
  for (const e of events) {
    const occurredAt = new Date();
    const data = e.data ?? {};
    const body = canonicalEventBody({
      type: e.type,
      actor: e.actor,
      requestId: e.requestId ?? null,
      agentId: e.agentId ?? null,
      data,
      occurredAt,
    });
    await tx.$executeRaw`
      WITH head AS (
        UPDATE audit_head
           SET seq = seq + 1,
               prev = hash,
               hash = encode(sha256(convert_to(hash || chr(10) || (seq + 1)::text || chr(10) || ${body}, 'UTF8')), 'hex')
         WHERE id = 1
        RETURNING seq, prev, hash)
      INSERT INTO audit_events (seq, type, actor, request_id, agent_id, data, occurred_at, prev_hash, hash)
      SELECT seq, ${e.type}, ${e.actor}, ${e.requestId ?? null}, ${e.agentId ?? null}, ${JSON.stringify(data)}::jsonb,
             ${occurredAt}::timestamptz, prev, hash
        FROM head`;
  }
}

export function appendEvent(tx: Tx, event: AuditEventInput): Promise<void> {
  return appendEvents(tx, [event]);
}
