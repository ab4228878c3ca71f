import "server-only";
import { canonicalJson } from "../crypto.ts";
import type { PoolClient as PgClient } from "pg";
import { CompiledQuery } from "kysely";
import type { Queryable, Tx } from "../db.ts";
import type { Statement } from "../sql.ts";

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

const HASH_OF = (prev: string, seq: string, body: string) =>
  `encode(sha256(convert_to(${prev} || chr(10) || (${seq})::text || chr(10) || (${body}), 'UTF8')), 'hex')`;

const INSERT_COLUMNS = "seq, type, actor, request_id, agent_id, data, occurred_at, prev_hash, hash";
const EVENT_VALUES = (e: string) =>
  `${e} ->> 'type', ${e} ->> 'actor', ${e} ->> 'request_id', ${e} ->> 'agent_id', ${e} -> 'data', (${e} ->> 'occurred_at')::timestamptz`;

/**
 * SQL common table expressions that append `count` events, given as a JSON
 * array in parameter `placeholder` (see `auditParam`), to the hash chain: event hash =
 * SHA-256(prev_hash "\n" seq "\n" canonical body). Compose them into a
 * `WITH RECURSIVE` statement with the state change they record, so both
 * commit together.
 *
 * Appends lock the single `audit_head` row until the transaction commits,
 * which serialises them across every app instance: the chain cannot fork.
 * Run them last in a transaction (or in one statement) to keep that short.
 * `guard` is an SQL condition: when false, nothing is appended (for a change
 * that turned out not to happen within the same statement).
 */
export function auditCtes(count: number, placeholder: string, guard = "TRUE"): string {
  const events = `${placeholder}::jsonb`;
  if (count === 1) {
    // The common case: one UPDATE … RETURNING advances the head and yields the link.
    return `
      audit_e AS (SELECT ${events} -> 0 AS e),
      audit_head_next AS (
        UPDATE audit_head
           SET seq = seq + 1, prev = hash,
               hash = ${HASH_OF("hash", "seq + 1", "(SELECT e FROM audit_e) ->> 'body'")}
         WHERE id = 1 AND ${guard}
        RETURNING seq, prev, hash),
      audit_ins AS (
        INSERT INTO audit_events (${INSERT_COLUMNS})
        SELECT h.seq, ${EVENT_VALUES("a.e")}, h.prev, h.hash FROM audit_head_next h, audit_e a
        RETURNING seq)`;
  }
  return `
    audit_ev AS (SELECT x.ord::int AS i, x.e FROM jsonb_array_elements(${events}) WITH ORDINALITY AS x(e, ord)),
    audit_prev AS (SELECT seq, hash FROM audit_head WHERE id = 1 AND ${guard} FOR UPDATE),
    audit_chain (i, seq, prev, hash) AS (
      SELECT 0, seq, ''::text, hash FROM audit_prev
      UNION ALL
      SELECT c.i + 1, c.seq + 1, c.hash, ${HASH_OF("c.hash", "c.seq + 1", "ev.e ->> 'body'")}
        FROM audit_chain c JOIN audit_ev ev ON ev.i = c.i + 1),
    audit_ins AS (
      INSERT INTO audit_events (${INSERT_COLUMNS})
      SELECT c.seq, ${EVENT_VALUES("ev.e")}, c.prev, c.hash FROM audit_chain c JOIN audit_ev ev ON ev.i = c.i
      RETURNING seq),
    audit_head_next AS (
      UPDATE audit_head h SET seq = last.seq, prev = last.prev, hash = last.hash
        FROM (SELECT seq, prev, hash FROM audit_chain ORDER BY i DESC LIMIT 1) last
       WHERE h.id = 1
      RETURNING h.seq)`;
}

/** The JSON parameter for `auditCtes`: each event with its canonical body and timestamp. */
export function auditParam(events: AuditEventInput[]): string {
  return JSON.stringify(
    events.map((e) => {
      const occurredAt = new Date();
      const fields = { type: e.type, actor: e.actor, requestId: e.requestId ?? null, agentId: e.agentId ?? null, data: e.data ?? {}, occurredAt };
      return {
        type: fields.type,
        actor: fields.actor,
        request_id: fields.requestId,
        agent_id: fields.agentId,
        data: fields.data,
        occurred_at: occurredAt.toISOString(),
        body: canonicalEventBody(fields),
      };
    }),
  );
}

/** Adds the audit CTEs for `events` to a statement being built. */
export function withAuditEvents(statement: Statement, events: AuditEventInput[], guard?: string): Statement {
  return events.length ? statement.withFragment(auditCtes(events.length, statement.param(auditParam(events)), guard)) : statement;
}

/**
 * Records events in the caller's transaction (`db().transaction().execute(trx => …)`),
 * so they commit with the change they describe, or not at all.
 */
export async function appendEvents(trx: Queryable, events: AuditEventInput[]): Promise<void> {
  if (events.length === 0) return;
  await trx.executeQuery(CompiledQuery.raw(`WITH RECURSIVE ${auditCtes(events.length, "$1")} SELECT 1`, [auditParam(events)]));
}

/** @deprecated Prisma is leaving the request paths (issue 13): use `appendEvents(trx, …)`. */
export async function appendEventsPrisma(tx: Tx, events: AuditEventInput[]): Promise<void> {
  if (events.length === 0) return;
  await tx.$executeRawUnsafe(`WITH RECURSIVE ${auditCtes(events.length, "$1")} SELECT 1`, auditParam(events));
}

/** @deprecated use `appendEvents(trx, …)` on a Kysely transaction. */
export async function appendEventsPg(client: Pick<PgClient, "query">, events: AuditEventInput[]): Promise<void> {
  if (events.length === 0) return;
  await client.query(`WITH RECURSIVE ${auditCtes(events.length, "$1")} SELECT 1`, [auditParam(events)]);
}

/** @deprecated use `appendEvents(trx, [event])`. */
export function appendEvent(tx: Tx, event: AuditEventInput): Promise<void> {
  return appendEventsPrisma(tx, [event]);
}
