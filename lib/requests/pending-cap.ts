import "server-only";
import { env } from "../env.ts";
import { AppError } from "../errors.ts";

/**
 * SQL for how many requests of the agent `agentId` (an SQL expression) still
 * wait for a decision: pending and not yet past their expiry. With `upTo`,
 * counting stops there (all the pending cap needs); an index-only scan of
 * (agent_id, status, expires_at) either way.
 */
export function pendingCountSql(agentId: string, upTo?: string): string {
  const waiting = `SELECT 1 FROM action_requests WHERE agent_id = ${agentId} AND status = 'pending' AND expires_at > now()`;
  return `(SELECT count(*) FROM (${waiting}${upTo ? ` LIMIT ${upTo}` : ""}) waiting)`;
}

/** The 429 of a create that would take its agent past the cap. */
export function pendingCapReached(max = env().COUNTERSIGN_MAX_PENDING_PER_AGENT): AppError {
  return new AppError("rate_limited", `this agent already has ${max} pending requests; wait for decisions or cancel some`, { retryAfterSeconds: 30 });
}

/**
 * A cheap early refusal from a count read without a lock (the risk
 * assessment reads it anyway). The exact check is part of the statement that
 * inserts the request (lib/requests/create-request.ts).
 */
export function checkPendingCount(counted: number | undefined): void {
  const max = env().COUNTERSIGN_MAX_PENDING_PER_AGENT;
  if (counted !== undefined && counted >= max) throw pendingCapReached(max);
}
