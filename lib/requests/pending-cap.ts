import "server-only";
import { pool } from "../db.ts";
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

/**
 * The pending cap (COUNTERSIGN_MAX_PENDING_PER_AGENT): a request that would
 * wait is refused with 429 when its agent already has that many waiting. It
 * is a soft bound: the count is read before the insert and without a lock,
 * so creates of one agent that run at the same moment can each see room and
 * together pass the cap by at most their number, less one. Making it exact
 * would serialise every agent's creates on a lock.
 *
 * `counted`: the count already read with the risk history (assessRisk), in
 * the same round trip.
 */
export async function checkPendingCap(agentId: string, counted?: number): Promise<void> {
  const max = env().COUNTERSIGN_MAX_PENDING_PER_AGENT;
  const pending =
    counted ??
    Number(
      (await pool().query<{ n: string }>({ name: "cs_pending_count", text: `SELECT ${pendingCountSql("$1", "$2")} AS n`, values: [agentId, max] })).rows[0]
        ?.n ?? 0,
    );
  if (pending >= max) {
    throw new AppError("rate_limited", `this agent already has ${max} pending requests; wait for decisions or cancel some`, {
      retryAfterSeconds: 30,
    });
  }
}
