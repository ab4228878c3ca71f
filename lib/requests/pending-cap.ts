import "server-only";
import { env } from "../env.ts";
import { AppError } from "../errors.ts";

// How many requests of an agent still wait for a decision (pending, not yet
// past their expiry) is counted by one SQL function, countersign_pending_count
// (agent, up_to): in the risk assessment's read and in the statement that
// inserts a request. It is planned on each call, with the agent's id, and
// reads the partial index of pending requests by agent
// (action_requests_pending_by_agent_idx, migration 20261203060000).

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
