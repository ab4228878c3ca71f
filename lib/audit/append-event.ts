import "server-only";
import { type RawBuilder, sql } from "kysely";
import { canonicalJson, sha256Hex } from "../crypto.ts";
import type { Queryable } from "../db.ts";

export interface AuditEventInput {
  /** Dotted event type, e.g. `request.created`, `grant.redeemed`. */
  type: string;
  /** Who caused it: `agent:agt_…`, `user:usr_…`, `policy:pol_…`, `system`, `executor`. */
  actor: string;
  requestId?: string | null;
  agentId?: string | null;
  data?: Record<string, unknown>;
}

/** The canonical text an event's hash covers (computed by the sealer, recomputed by verification). */
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

/** An event's hash: SHA-256 (hex) of the previous hash, its seq and its canonical body, one per line. */
export function linkHash(prevHash: string, seq: bigint, body: string): string {
  return sha256Hex(`${prevHash}\n${seq}\n${body}`);
}

/**
 * Records events in the caller's transaction (`transact(trx => …)`), so they
 * commit with the change they describe, or not at all. They are chained
 * (given `seq`, `prev_hash` and `hash`) shortly after they commit, by the
 * sealer (lib/audit/sealer.ts), so writers never queue on the chain head.
 */
export async function appendEvents(trx: Queryable, events: AuditEventInput[]): Promise<void> {
  if (events.length === 0) return;
  await eventsInsert(events).execute(trx);
}

/**
 * The INSERT of `events` (one JSON parameter), only where `guard` holds:
 * what `appendEvents` runs, and what a single-statement change (creating a
 * request) composes with the change it records.
 */
export function eventsInsert(events: AuditEventInput[], guard: RawBuilder<unknown> = sql`TRUE`): RawBuilder<Record<string, unknown>> {
  return sql<Record<string, unknown>>`INSERT INTO audit_events (type, actor, request_id, agent_id, data, occurred_at)
    SELECT x.type, x.actor, x.request_id, x.agent_id, x.data, x.occurred_at
      FROM jsonb_to_recordset(${jsonParam(events)}::jsonb) AS x(type text, actor text, request_id text, agent_id text, data jsonb, occurred_at timestamptz)
     WHERE ${guard}`;
}

/** The events as one JSON array, snake_case as the columns, all stamped now. */
function jsonParam(events: AuditEventInput[]): string {
  const occurredAt = new Date().toISOString();
  return JSON.stringify(
    events.map((e) => ({
      type: e.type,
      actor: e.actor,
      request_id: e.requestId ?? null,
      agent_id: e.agentId ?? null,
      data: e.data ?? {},
      occurred_at: occurredAt,
    })),
  );
}
