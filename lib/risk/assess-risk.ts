import "server-only";
import { pool } from "../db.ts";
import { env } from "../env.ts";
import { pendingCountSql } from "../requests/pending-cap.ts";
import { RATE_WINDOW } from "./record-risk-history.ts";
import {
  computeRisk,
  DEFAULT_THRESHOLDS,
  environmentOf,
  hourlyMedian,
  numericParams,
  principalOf,
  type ParamStats,
  type RiskAssessment,
  type RiskHistory,
} from "./compute-risk.ts";

export interface AssessRiskOptions {
  agent: { id: string; name: string };
  action: string;
  params: Record<string, unknown>;
  context: Record<string, unknown>;
  /** Agent text reviewers read, checked for hidden characters with params and context. */
  resource: string | null;
  summary: string;
  justification: string | null;
  now?: Date;
  /**
   * Also count the agent's live pending requests, up to this many, in the
   * same round trip (the pending cap, checked by the caller once policy
   * says the request will wait).
   */
  countPendingUpTo?: number;
}

const HOUR = 3_600_000;

/**
 * Reads what the history tables hold for this agent and request, in one
 * round trip of primary-key and short index range lookups (at most 168
 * hourly rows per action for the baseline), never the agent's past requests.
 */
const HISTORY_SQL = `
  SELECT
    (SELECT approved FROM risk_action_stats WHERE agent_id = $1 AND action = $2) AS action_approved,
    EXISTS (SELECT 1 FROM risk_action_stats WHERE agent_id = $1 AND approved > 0) AS agent_approved,
    (SELECT json_agg(json_build_array(path, n, min, max, mean, m2)) FROM risk_param_stats
      WHERE agent_id = $1 AND action = $2 AND path = ANY($3::text[])) AS params,
    EXISTS (SELECT 1 FROM risk_known_values WHERE agent_id = $1 AND kind = 'on_behalf_of' AND value = $4) AS principal_known,
    EXISTS (SELECT 1 FROM risk_known_values WHERE agent_id = $1 AND kind = 'environment.name' AND value = $5) AS env_name_known,
    EXISTS (SELECT 1 FROM risk_known_values WHERE agent_id = $1 AND kind = 'environment.runtime' AND value = $6) AS env_runtime_known,
    (SELECT json_agg(json_build_array(kind, value)) FROM (
       SELECT kind, value FROM risk_known_values WHERE agent_id = $1 AND kind IN ('environment.name', 'environment.runtime')
        ORDER BY last_approved_at DESC LIMIT 6) e) AS environments,
    (SELECT json_build_array(window_start, current, previous) FROM risk_agent_rate WHERE agent_id = $1) AS rate,
    least((SELECT min(hour) FROM risk_agent_hourly WHERE agent_id = $1), (SELECT hour_start FROM risk_agent_rate WHERE agent_id = $1)) AS first_hour,
    (SELECT json_agg(requests) FROM risk_agent_hourly WHERE agent_id = $1 AND hour >= $7 AND hour < $8) AS hourly,
    ${pendingCountSql("$1", "$9")} AS pending`;

/** The risk flags and score of a request about to be created, from the agent's own history. */
export async function assessRisk(o: AssessRiskOptions): Promise<RiskAssessment & { pendingCount: number }> {
  const now = o.now ?? new Date();
  const paths = [...numericParams(o.params).keys()];
  const principal = principalOf(o.context);
  const environment = environmentOf(o.context);
  const currentHour = Math.floor(now.getTime() / HOUR) * HOUR;
  const windowStart = currentHour - 7 * 24 * HOUR;
  const { rows } = await pool().query({
    name: "cs_risk_history",
    text: HISTORY_SQL,
    values: [
      o.agent.id,
      o.action,
      paths,
      principal,
      environment.name,
      environment.runtime,
      new Date(windowStart).toISOString(),
      new Date(currentHour).toISOString(),
      o.countPendingUpTo ?? 0,
    ],
  });
  const r = rows[0];
  const seen = (kind: string) =>
    ((r.environments ?? []) as [string, string][])
      .filter(([k]) => k === kind)
      .map(([, v]) => v)
      .slice(0, 3);
  const firstHour = r.first_hour ? new Date(r.first_hour).getTime() : null;
  const hours = firstHour === null ? 0 : (currentHour - Math.max(firstHour, windowStart)) / HOUR;
  const history: RiskHistory = {
    actionRequestedBefore: r.action_approved !== null,
    actionApproved: r.action_approved ?? 0,
    agentApproved: r.agent_approved ? 1 : 0,
    params: new Map(
      ((r.params ?? []) as [string, number, number, number, number, number][]).map(([path, n, min, max, mean, m2]) => [
        path,
        { n, min, max, mean, m2 } satisfies ParamStats,
      ]),
    ),
    onBehalfOfKnown: principal === null ? null : r.principal_known,
    environment: {
      name: { known: environment.name === null ? null : r.env_name_known, seen: seen("environment.name") },
      runtime: { known: environment.runtime === null ? null : r.env_runtime_known, seen: seen("environment.runtime") },
    },
    recent: recentRequests(r.rate, now),
    hourlyMedian: hours >= 24 ? hourlyMedian(((r.hourly ?? []) as (number | string)[]).map(Number), hours) : null,
  };
  const risk = computeRisk(
    {
      agentName: o.agent.name,
      action: o.action,
      params: o.params,
      context: o.context,
      resource: o.resource,
      summary: o.summary,
      justification: o.justification,
    },
    history,
    { ...DEFAULT_THRESHOLDS, lowConfidence: env().COUNTERSIGN_RISK_LOW_CONFIDENCE },
  );
  return { ...risk, pendingCount: Number(r.pending) };
}

/** Requests in this 10-minute window and the one before, and the minutes they span. */
function recentRequests(rate: [string, number, number] | null, now: Date): RiskHistory["recent"] {
  const window = Math.floor(now.getTime() / RATE_WINDOW) * RATE_WINDOW;
  const minutes = (RATE_WINDOW + now.getTime() - window) / 60_000;
  if (!rate) return { requests: 0, minutes };
  const [start, current, previous] = rate;
  const at = new Date(start).getTime();
  const requests = at >= window ? current + previous : at === window - RATE_WINDOW ? current : 0;
  return { requests, minutes };
}
