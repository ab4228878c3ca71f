import "server-only";
import { suspendAgent } from "../agents/suspend-agent.ts";
import { type ExpressionBuilder, sql } from "kysely";
import { type DB, db } from "../db.ts";
import { logger } from "../logger.ts";
import { agentInScope, containmentEnabled, denialRateBreach, firstRequestIdAt, requestRateBreach, type Breach, type ContainmentConfig } from "./rules.ts";
import { currentContainment } from "./settings.ts";

/*
 * Automatic containment at run time. Both checks run after the change they
 * look at has committed (a new request; a denial), read only the agent's own
 * rows on the indexes that already exist, and on a breach pull the kill
 * switch as `system`. Concurrent breaches of one agent suspend it once:
 * `stopAgent` locks the agent's row, and every caller after the first finds it
 * suspended already and leaves it alone (as it does a retired agent).
 *
 * A resume starts the windows afresh: what an agent did before an admin let it
 * back in does not count again. That is checked only once a count crosses its
 * threshold, so the common path stays one index range read.
 */

export interface ContainmentAgent {
  id: string;
  name: string;
  tags: string[];
}

/**
 * After an agent's request was created (any outcome): its request rate and,
 * when the request was denied by policy, its denial rate. True when the
 * agent is suspended for it now (by this call or a concurrent one), so the
 * caller re-reads the request, which the suspension may have cancelled.
 * Never throws: the request has committed, whatever happens here.
 */
export async function containAfterRequest(o: { agent: ContainmentAgent; status: string; now: Date }): Promise<boolean> {
  try {
    const { config } = await currentContainment();
    if (!containmentEnabled(config) || !agentInScope(config, o.agent)) return false;
    if (config.request_rate) {
      const breach = await requestRateCheck(o.agent.id, config.request_rate, o.now);
      if (breach) return await contain(o.agent.id, breach);
    }
    if (o.status === "denied" && config.denial_rate) {
      const breach = await denialRateCheck(o.agent.id, config.denial_rate, o.now);
      if (breach) return await contain(o.agent.id, breach);
    }
    return false;
  } catch (err) {
    logger.error({ err: (err as Error).message, agentId: o.agent.id }, "containment check failed");
    return false;
  }
}

/**
 * After a reviewer denied one of the agent's requests: its denial rate.
 * (Only a denial can raise the rate, so approvals are not checked.) Never throws.
 */
export async function containAfterDenial(o: { agentId: string; now: Date }): Promise<boolean> {
  try {
    const { config } = await currentContainment();
    if (!config.denial_rate) return false;
    if (config.agents) {
      const agent = await db().selectFrom("agents").select(["name", "tags"]).where("id", "=", o.agentId).executeTakeFirst();
      if (!agent || !agentInScope(config, agent)) return false;
    }
    const breach = await denialRateCheck(o.agentId, config.denial_rate, o.now);
    return breach ? await contain(o.agentId, breach) : false;
  } catch (err) {
    logger.error({ err: (err as Error).message, agentId: o.agentId }, "containment check failed");
    return false;
  }
}

/** When the agent was last resumed, if that was at or after `since` (null otherwise). */
const resumedSince = (eb: ExpressionBuilder<DB, "actionRequests">, agentId: string, since: Date) =>
  eb
    .selectFrom("auditEvents")
    .select((e) => e.fn.max("occurredAt").as("at"))
    .where("agentId", "=", agentId)
    .where("type", "=", "agent.resumed")
    .where("occurredAt", ">=", since);

const afterResume = (eb: ExpressionBuilder<DB, "actionRequests">, column: "createdAt" | "decidedAt", agentId: string, since: Date) =>
  eb(column, ">", eb.fn.coalesce(resumedSince(eb, agentId, since), sql<Date>`'-infinity'::timestamptz`));

/**
 * Counts the agent's requests in the window on the `(agent_id, id)` index
 * (ids begin with their creation time), reading at most `max_requests + 1`
 * entries. Past the limit, counts exactly, from the last resume if that
 * was within the window.
 */
async function requestRateCheck(agentId: string, rule: NonNullable<ContainmentConfig["request_rate"]>, now: Date): Promise<Breach | null> {
  const since = new Date(now.getTime() - rule.window_seconds * 1000);
  const fromId = firstRequestIdAt(since);
  const capped = await db()
    .selectFrom((eb) =>
      eb
        .selectFrom("actionRequests")
        .select(sql.lit(1).as("one"))
        .where("agentId", "=", agentId)
        .where("id", ">=", fromId)
        .limit(rule.max_requests + 1)
        .as("c"),
    )
    .select(sql<number>`count(*)::int`.as("n"))
    .executeTakeFirstOrThrow();
  if (!requestRateBreach(rule, capped.n)) return null;
  const exact = await db()
    .selectFrom("actionRequests")
    .select(sql<number>`count(*)::int`.as("n"))
    .where("agentId", "=", agentId)
    .where("id", ">=", fromId)
    .where("createdAt", ">=", since)
    .where((eb) => afterResume(eb, "createdAt", agentId, since))
    .executeTakeFirstOrThrow();
  return requestRateBreach(rule, exact.n);
}

/**
 * Counts the agent's decisions (approved or denied, by people or policy)
 * within the window on the `(agent_id, status, expires_at)` index: a request
 * is always decided before it expires, so one decided in the window expires
 * after the window's start. Past the limit, counts again from the last
 * resume if that was within the window.
 */
async function denialRateCheck(agentId: string, rule: NonNullable<ContainmentConfig["denial_rate"]>, now: Date): Promise<Breach | null> {
  const since = new Date(now.getTime() - rule.window_seconds * 1000);
  const counts = (resumeAware: boolean) =>
    db()
      .selectFrom("actionRequests")
      .select([sql<number>`count(*) FILTER (WHERE status = 'denied')::int`.as("denied"), sql<number>`count(*)::int`.as("decisions")])
      .where("agentId", "=", agentId)
      .where("status", "in", ["approved", "denied"])
      .where("expiresAt", ">=", since)
      .where("decidedAt", ">=", since)
      .$if(resumeAware, (qb) => qb.where((eb) => afterResume(eb, "decidedAt", agentId, since)))
      .executeTakeFirstOrThrow();
  const first = await counts(false);
  if (!denialRateBreach(rule, first)) return null;
  const again = await counts(true);
  return denialRateBreach(rule, again);
}

/** Pulls the kill switch for `breach`; false when the agent was no longer active (suspended by someone else first, or retired). */
async function contain(agentId: string, breach: Breach): Promise<boolean> {
  try {
    const result = await suspendAgent({ agentId, actor: "system", reason: breach.reason, containment: breach.containment });
    logger.warn(
      {
        agentId,
        rule: breach.containment.rule,
        observed: breach.containment.observed,
        threshold: breach.containment.threshold,
        cancelled: result.cancelledRequests.length,
      },
      breach.reason,
    );
    return true;
  } catch (err) {
    // Already suspended (a concurrent breach won the agent's lock) or retired: left alone.
    if ((err as { code?: string }).code === "conflict") return true;
    throw err;
  }
}
