import "server-only";
import { sql } from "kysely";
import type { Trx } from "../db.ts";
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

function refuse(max: number): AppError {
  return new AppError("rate_limited", `this agent already has ${max} pending requests; wait for decisions or cancel some`, { retryAfterSeconds: 30 });
}

/**
 * A cheap early refusal, before any transaction, from a count read without a
 * lock (the risk assessment reads it anyway): the exact check is
 * `claimPendingSlot`.
 */
export function checkPendingCount(counted: number | undefined): void {
  const max = env().COUNTERSIGN_MAX_PENDING_PER_AGENT;
  if (counted !== undefined && counted >= max) throw refuse(max);
}

/**
 * The pending cap (COUNTERSIGN_MAX_PENDING_PER_AGENT), exact: a request that
 * would wait is refused with 429 when its agent already has that many
 * waiting. Call it in the transaction that inserts the request: it takes a
 * transaction-scoped advisory lock of this agent's, so creates of one agent
 * that would wait count and insert one after another (other agents, and
 * requests decided at once by policy, never wait for it); the count is a
 * statement of its own, after the lock, so it sees every insert committed
 * before the lock was granted.
 */
export async function claimPendingSlot(trx: Trx, agentId: string): Promise<void> {
  const max = env().COUNTERSIGN_MAX_PENDING_PER_AGENT;
  await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`countersign.pending:${agentId}`}, 0))`.execute(trx);
  const waiting = trx
    .selectFrom("actionRequests")
    .select("id")
    .where("agentId", "=", agentId)
    .where("status", "=", "pending")
    .where("expiresAt", ">", sql<Date>`now()`)
    .limit(max);
  const { n } = await trx
    .selectFrom(waiting.as("waiting"))
    .select((eb) => eb.fn.countAll<string>().as("n"))
    .executeTakeFirstOrThrow();
  if (Number(n) >= max) throw refuse(max);
}
