import "server-only";
import type { PoolClient } from "pg";
import type { Tx } from "../db.ts";
import type { Statement } from "../sql.ts";

export const CHANNEL = "countersign_events";

/** What travels over LISTEN/NOTIFY: small and free of agent-supplied text. */
export interface RequestChanged {
  kind: "request";
  id: string;
  agent_id: string;
  status: string;
}

/** Rules, their order or the default changed: every instance drops its cached rule set. */
export interface PolicyChanged {
  kind: "policy";
}

/**
 * A user's sessions changed (signed out, disabled, role, groups or password):
 * every instance closes that user's live streams (only `session_id`'s, when
 * given), which reconnect, and are authorised again, if the session still
 * lives. Rare, so a NOTIFY in those transactions costs nothing that matters.
 */
export interface SessionsChanged {
  kind: "sessions";
  user_id: string;
  session_id?: string;
}

/**
 * Queues a notification inside the caller's transaction: PostgreSQL delivers
 * it to every listening app instance only if and when the transaction commits.
 */
export async function notifyRequestChanged(tx: Tx, change: Omit<RequestChanged, "kind">): Promise<void> {
  const payload: RequestChanged = { kind: "request", ...change };
  await tx.$executeRaw`SELECT pg_notify(${CHANNEL}, ${JSON.stringify(payload)})`;
}

/** A `pg_notify(…)` expression for a statement's final SELECT (delivered when it commits). */
export function notifyExpression(statement: Statement, change: Omit<RequestChanged, "kind">): string {
  const payload: RequestChanged = { kind: "request", ...change };
  return `pg_notify('${CHANNEL}', ${statement.param(JSON.stringify(payload))})`;
}

/** Queues one notification per changed request inside the caller's `pg` transaction, in one statement. */
export async function notifyRequestsChangedPg(client: Pick<PoolClient, "query">, changes: Omit<RequestChanged, "kind">[]): Promise<void> {
  if (changes.length === 0) return;
  const payloads = changes.map((c) => JSON.stringify({ kind: "request", ...c } satisfies RequestChanged));
  await client.query("SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p", [CHANNEL, payloads]);
}

/** Queues the policy-changed notification inside the caller's transaction. */
export async function notifyPolicyChanged(tx: Tx): Promise<void> {
  const payload: PolicyChanged = { kind: "policy" };
  await tx.$executeRaw`SELECT pg_notify(${CHANNEL}, ${JSON.stringify(payload)})`;
}

/** Queues the sessions-changed notification inside the caller's transaction. */
export async function notifySessionsChanged(tx: Pick<Tx, "$executeRaw">, change: Omit<SessionsChanged, "kind">): Promise<void> {
  const payload: SessionsChanged = { kind: "sessions", ...change };
  await tx.$executeRaw`SELECT pg_notify(${CHANNEL}, ${JSON.stringify(payload)})`;
}
