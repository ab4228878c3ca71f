import "server-only";
import { suspendAgent } from "../agents/suspend-agent.ts";
import { pool } from "../db.ts";
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
      const { rows } = await pool().query<{ name: string; tags: string[] }>({
        name: "cs_containment_agent",
        text: "SELECT name, tags FROM agents WHERE id = $1",
        values: [o.agentId],
      });
      if (!rows[0] || !agentInScope(config, rows[0])) return false;
    }
    const breach = await denialRateCheck(o.agentId, config.denial_rate, o.now);
    return breach ? await contain(o.agentId, breach) : false;
  } catch (err) {
    logger.error({ err: (err as Error).message, agentId: o.agentId }, "containment check failed");
    return false;
  }
}

const RESUMED_SINCE = `(SELECT max(occurred_at) FROM audit_events WHERE agent_id = $1 AND type = 'agent.resumed' AND occurred_at >= $3::timestamptz)`;

/**
 * Counts the agent's requests in the window on the `(agent_id, id)` index
 * (ids begin with their creation time), reading at most `max_requests + 1`
 * entries. Past the limit, counts exactly, from the last resume if that
 * was within the window.
 */
async function requestRateCheck(agentId: string, rule: NonNullable<ContainmentConfig["request_rate"]>, now: Date): Promise<Breach | null> {
  const since = new Date(now.getTime() - rule.window_seconds * 1000);
  const fromId = firstRequestIdAt(since);
  const capped = await pool().query<{ n: number }>({
    name: "cs_containment_requests",
    text: "SELECT count(*)::int AS n FROM (SELECT 1 FROM action_requests WHERE agent_id = $1 AND id >= $2 LIMIT $3) c",
    values: [agentId, fromId, rule.max_requests + 1],
  });
  if (!requestRateBreach(rule, capped.rows[0]?.n ?? 0)) return null;
  const exact = await pool().query<{ n: number }>({
    name: "cs_containment_requests_exact",
    text: `SELECT count(*)::int AS n FROM action_requests
            WHERE agent_id = $1 AND id >= $2 AND created_at >= $3::timestamptz
              AND created_at > coalesce(${RESUMED_SINCE}, '-infinity'::timestamptz)`,
    values: [agentId, fromId, since.toISOString()],
  });
  return requestRateBreach(rule, exact.rows[0]?.n ?? 0);
}

/**
 * Counts the agent's decisions (approved or denied, by people or policy)
 * within the window on the `(agent_id, status, expires_at)` index: a request
 * is always decided before it expires, so one decided in the window expires
 * after the window's start. Past the limit, counts again from the last
 * resume if that was within the window.
 */
async function denialRateCheck(agentId: string, rule: NonNullable<ContainmentConfig["denial_rate"]>, now: Date): Promise<Breach | null> {
  const since = new Date(now.getTime() - rule.window_seconds * 1000).toISOString();
  const counts = (resumeAware: boolean) =>
    pool().query<{ denied: number; decisions: number }>({
      name: resumeAware ? "cs_containment_denials_resumed" : "cs_containment_denials",
      text: `SELECT count(*) FILTER (WHERE status = 'denied')::int AS denied, count(*)::int AS decisions
               FROM action_requests
              WHERE agent_id = $1 AND status IN ('approved', 'denied') AND expires_at >= $2::timestamptz AND decided_at >= $2::timestamptz
              ${resumeAware ? `AND decided_at > coalesce(${RESUMED_SINCE}, '-infinity'::timestamptz)` : ""}`,
      values: resumeAware ? [agentId, since, since] : [agentId, since],
    });
  const first = await counts(false);
  if (!denialRateBreach(rule, first.rows[0])) return null;
  const again = await counts(true);
  return denialRateBreach(rule, again.rows[0]);
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
