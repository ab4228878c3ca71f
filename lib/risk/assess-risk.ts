import "server-only";
import { sql } from "kysely";
import { db } from "../db.ts";
import { env } from "../env.ts";
import { ACTION_SEVERITY_KEY } from "../settings/action-severity.ts";
import { parseSeverityRules, severityOf } from "./action-severity.ts";
import { BASELINE_WINDOW, RATE_WINDOW } from "./record-risk-history.ts";
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

/** A row of `historyQuery` (column names come back camelCase, like every query's). */
interface HistoryRow {
  actionApproved: number | null;
  agentApproved: boolean;
  params: [string, number, number, number, number, number][] | null;
  principalKnown: boolean;
  envNameKnown: boolean;
  envRuntimeKnown: boolean;
  environments: [string, string][] | null;
  rate: [string, number, number] | null;
  firstHour: Date | null;
  hourly: (number | string)[] | null;
  pending: string;
  severities: unknown;
}

/**
 * Reads what the history tables hold for this agent and request, in one
 * round trip of primary-key and short index range lookups (at most 168
 * hourly rows per action for the baseline), never the agent's past requests.
 */
function historyQuery(o: {
  agentId: string;
  action: string;
  paths: string[];
  principal: string | null;
  environment: { name: string | null; runtime: string | null };
  from: Date;
  to: Date;
  pendingUpTo: number;
}) {
  const agent = o.agentId;
  return sql<HistoryRow>`
    SELECT
      (SELECT approved FROM risk_action_stats WHERE agent_id = ${agent} AND action = ${o.action}) AS action_approved,
      EXISTS (SELECT 1 FROM risk_action_stats WHERE agent_id = ${agent} AND approved > 0) AS agent_approved,
      (SELECT json_agg(json_build_array(path, n, min, max, mean, m2)) FROM risk_param_stats
        WHERE agent_id = ${agent} AND action = ${o.action} AND path = ANY(${o.paths}::text[])) AS params,
      EXISTS (SELECT 1 FROM risk_known_values WHERE agent_id = ${agent} AND kind = 'on_behalf_of' AND value = ${o.principal}) AS principal_known,
      EXISTS (SELECT 1 FROM risk_known_values WHERE agent_id = ${agent} AND kind = 'environment.name' AND value = ${o.environment.name}) AS env_name_known,
      EXISTS (SELECT 1 FROM risk_known_values WHERE agent_id = ${agent} AND kind = 'environment.runtime' AND value = ${o.environment.runtime}) AS env_runtime_known,
      (SELECT json_agg(json_build_array(kind, value)) FROM (
         SELECT kind, value FROM risk_known_values WHERE agent_id = ${agent} AND kind IN ('environment.name', 'environment.runtime')
          ORDER BY last_approved_at DESC LIMIT 6) e) AS environments,
      (SELECT json_build_array(window_start, current, previous) FROM risk_agent_rate WHERE agent_id = ${agent}) AS rate,
      least((SELECT min(hour) FROM risk_agent_hourly WHERE agent_id = ${agent}), (SELECT hour_start FROM risk_agent_rate WHERE agent_id = ${agent})) AS first_hour,
      (SELECT json_agg(requests) FROM risk_agent_hourly WHERE agent_id = ${agent} AND hour >= ${o.from}::timestamptz AND hour < ${o.to}::timestamptz) AS hourly,
      countersign_pending_count(${agent}, ${o.pendingUpTo}::int) AS pending,
      (SELECT value FROM settings WHERE key = ${ACTION_SEVERITY_KEY}) AS severities`;
}

/** The risk flags and score of a request about to be created, from the agent's own history. */
export async function assessRisk(o: AssessRiskOptions): Promise<RiskAssessment & { pendingCount: number }> {
  const now = o.now ?? new Date();
  const paths = [...numericParams(o.params).keys()];
  const principal = principalOf(o.context);
  const environment = environmentOf(o.context);
  const currentHour = Math.floor(now.getTime() / HOUR) * HOUR;
  const windowStart = currentHour - BASELINE_WINDOW;
  const {
    rows: [r],
  } = await historyQuery({
    agentId: o.agent.id,
    action: o.action,
    paths,
    principal,
    environment,
    from: new Date(windowStart),
    to: new Date(currentHour),
    pendingUpTo: o.countPendingUpTo ?? 0,
  }).execute(db());
  const seen = (kind: string) =>
    (r.environments ?? [])
      .filter(([k]) => k === kind)
      .map(([, v]) => v)
      .slice(0, 3);
  const firstHour = r.firstHour ? r.firstHour.getTime() : null;
  const hours = firstHour === null ? 0 : (currentHour - Math.max(firstHour, windowStart)) / HOUR;
  const history: RiskHistory = {
    actionRequestedBefore: r.actionApproved !== null,
    actionApproved: r.actionApproved ?? 0,
    agentApproved: r.agentApproved ? 1 : 0,
    params: new Map((r.params ?? []).map(([path, n, min, max, mean, m2]) => [path, { n, min, max, mean, m2 } satisfies ParamStats])),
    onBehalfOfKnown: principal === null ? null : r.principalKnown,
    environment: {
      name: { known: environment.name === null ? null : r.envNameKnown, seen: seen("environment.name") },
      runtime: { known: environment.runtime === null ? null : r.envRuntimeKnown, seen: seen("environment.runtime") },
    },
    recent: recentRequests(r.rate, now),
    hourlyMedian: hours >= 24 ? hourlyMedian((r.hourly ?? []).map(Number), hours) : null,
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
    severityOf(parseSeverityRules(r.severities), o.action),
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
