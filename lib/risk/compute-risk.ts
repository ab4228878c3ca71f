import "server-only";

/**
 * Risk flags for a new request, from the agent's own history: pure functions
 * over what `read-risk-history.ts` loads, so they are tested on crafted
 * histories without a database. Everything here compares the request with
 * what reviewers (or rules) *approved* before for this agent: a request that
 * was only asked for, or denied, does not make the next one look normal.
 */

export type RiskSeverity = "low" | "medium" | "high" | "critical";

import { describeFindings, scanRequest, type HiddenFinding } from "../text/hidden-characters.ts";
import { SEVERITY_FLOOR, type ActionSeverityRule } from "./action-severity.ts";

export type RiskFlagCode =
  | "first_action"
  | "rate_spike"
  | "unusual_amount"
  | "new_on_behalf_of"
  | "new_environment"
  | "low_confidence"
  | "hidden_characters"
  | "sensitive_action";

export interface RiskFlag {
  code: RiskFlagCode;
  severity: RiskSeverity;
  /** Plain language for reviewers; may quote agent-supplied values (render as text). */
  explanation: string;
}

export interface RiskAssessment {
  /** 0–100, from the flags' severities. */
  score: number;
  flags: RiskFlag[];
}

/** Running statistics of one numeric parameter over approved requests (Welford). */
export interface ParamStats {
  n: number;
  min: number;
  max: number;
  mean: number;
  m2: number;
}

/** What the history tables say about this agent, for this request. */
export interface RiskHistory {
  /** Whether this agent asked for this action before (any outcome). */
  actionRequestedBefore: boolean;
  /** Approved requests of this action by this agent. */
  actionApproved: number;
  /** Above 0 when this agent has any approved request (of any action). */
  agentApproved: number;
  /** Statistics by parameter path, for the paths this request carries. */
  params: Map<string, ParamStats>;
  /** Whether this request's on_behalf_of appeared in an approved request (null: the request names nobody). */
  onBehalfOfKnown: boolean | null;
  /** Environment name / runtime: whether seen in an approved request (null: not stated), and up to a few known ones. */
  environment: {
    name: { known: boolean | null; seen: string[] };
    runtime: { known: boolean | null; seen: string[] };
  };
  /** Requests by this agent in the last `minutes` minutes (10 to 20: this 10-minute window and the one before), this one excluded. */
  recent: { requests: number; minutes: number };
  /**
   * Median requests per hour over the trailing 7 days (hours since the
   * agent's first request, current hour excluded), or null with less than a
   * day of history.
   */
  hourlyMedian: number | null;
}

export interface RiskRequest {
  agentName: string;
  action: string;
  params: Record<string, unknown>;
  context: Record<string, unknown>;
  resource?: string | null;
  summary?: string;
  justification?: string | null;
}

export interface RiskThresholds {
  /** `low_confidence` below this stated confidence. */
  lowConfidence: number;
  /** `unusual_amount` when a value exceeds the largest approved one by this factor… */
  amountRatio: number;
  /** …or, with at least `minApprovals` approvals, lies this many standard deviations outside the approved range. */
  amountZ: number;
  minApprovalsForZ: number;
  /** `rate_spike` when the last 10 to 20 minutes hold at least `rateMinimum` requests and `rateFactor` times the baseline. */
  rateMinimum: number;
  rateFactor: number;
}

export const DEFAULT_THRESHOLDS: RiskThresholds = Object.freeze({
  lowConfidence: 0.5,
  amountRatio: 3,
  amountZ: 4,
  minApprovalsForZ: 10,
  rateMinimum: 20,
  rateFactor: 5,
});

/** At most this many numeric parameters are tracked per request (depth-first, in key order), so a large payload costs no more. */
export const MAX_PARAM_PATHS = 32;
const MAX_DEPTH = 4;

/**
 * The finite numbers in `params` by dotted path (`amount`, `refund.amount`),
 * top level and nested objects; arrays are skipped (their positions carry no
 * stable meaning across requests).
 */
export function numericParams(params: Record<string, unknown>): Map<string, number> {
  const out = new Map<string, number>();
  const walk = (o: Record<string, unknown>, prefix: string, depth: number) => {
    for (const [k, v] of Object.entries(o)) {
      if (out.size >= MAX_PARAM_PATHS) return;
      const path = prefix ? `${prefix}.${k}` : k;
      if (typeof v === "number" && Number.isFinite(v)) out.set(path, v);
      else if (v && typeof v === "object" && !Array.isArray(v) && depth < MAX_DEPTH) walk(v as Record<string, unknown>, path, depth + 1);
    }
  };
  walk(params, "", 1);
  return out;
}

/** `context.environment.name` / `.runtime` when they are strings. */
export function environmentOf(context: Record<string, unknown>): { name: string | null; runtime: string | null } {
  const env = context.environment;
  if (!env || typeof env !== "object" || Array.isArray(env)) return { name: null, runtime: null };
  const { name, runtime } = env as Record<string, unknown>;
  return { name: typeof name === "string" && name ? name : null, runtime: typeof runtime === "string" && runtime ? runtime : null };
}

/** on_behalf_of as compared across requests: trimmed, lower case (people are usually named by email). */
export function principalOf(context: Record<string, unknown>): string | null {
  const p = context.on_behalf_of;
  return typeof p === "string" && p.trim() ? p.trim().toLowerCase() : null;
}

const WEIGHT: Record<RiskSeverity, number> = { low: 10, medium: 25, high: 45, critical: 90 };
const ORDER: Record<RiskSeverity, number> = { critical: 0, high: 1, medium: 2, low: 3 };

/**
 * 0 with no flags; each flag adds by severity (low 10, medium 25, high 45);
 * at most 100. What an admin says is at stake in the action is a floor
 * (critical 90, high 70, medium 40, low 10), so `db.drop_database` scores
 * critical even from an agent whose history is unremarkable.
 */
export function riskScore(flags: RiskFlag[], stake: ActionSeverityRule | null = null): number {
  const sum = Math.min(
    100,
    flags.filter((f) => f.code !== "sensitive_action").reduce((s, f) => s + WEIGHT[f.severity], 0),
  );
  return stake ? Math.max(sum, SEVERITY_FLOOR[stake.severity]) : sum;
}

const fmt = (n: number) => (Number.isInteger(n) ? n.toLocaleString("en-US") : n.toLocaleString("en-US", { maximumFractionDigits: 4 }));
const times = (r: number) => (r >= 10 ? Math.round(r).toLocaleString("en-US") : r.toFixed(1).replace(/\.0$/, ""));

/** The flags for `request` given `history`, most severe first, and their score. */
export function computeRisk(
  request: RiskRequest,
  history: RiskHistory,
  t: RiskThresholds = DEFAULT_THRESHOLDS,
  stake: ActionSeverityRule | null = null,
): RiskAssessment {
  const flags: RiskFlag[] = [];
  const { agentName: agent, action } = request;

  if (stake) {
    flags.push({
      code: "sensitive_action",
      severity: stake.severity,
      explanation:
        stake.pattern === action
          ? `An admin marked ${action} as ${stake.severity}`
          : `An admin marked ${stake.pattern} as ${stake.severity}, which covers ${action}`,
    });
  }

  if (history.actionApproved === 0) {
    flags.push({
      code: "first_action",
      severity: "medium",
      explanation: history.actionRequestedBefore
        ? `${agent} has asked for ${action} before, but was never approved for it`
        : `First time ${agent} asks for ${action}`,
    });
  }

  if (history.hourlyMedian !== null) {
    const { minutes } = history.recent;
    const expected = (history.hourlyMedian * minutes) / 60;
    const recent = history.recent.requests + 1;
    if (recent >= t.rateMinimum && recent >= t.rateFactor * expected) {
      const usual = expected < 1 ? "usually fewer than 1" : `usually about ${fmt(Math.round(expected))}`;
      flags.push({
        code: "rate_spike",
        severity: expected > 0 && recent >= 4 * t.rateFactor * expected ? "high" : "medium",
        explanation: `${agent} sent ${fmt(recent)} requests in the last ${Math.round(minutes)} minutes (${usual}; median ${fmt(history.hourlyMedian)} an hour over the last 7 days)`,
      });
    }
  }

  for (const [path, value] of numericParams(request.params)) {
    const s = history.params.get(path);
    if (!s || s.n === 0) continue;
    const flag = unusualValue(path, value, s, t);
    if (flag) flags.push(flag);
  }

  if (history.agentApproved > 0 && history.onBehalfOfKnown === false) {
    flags.push({
      code: "new_on_behalf_of",
      severity: "medium",
      explanation: `First time ${agent} acts on behalf of ${principalOf(request.context)}: no earlier approved request was for them`,
    });
  }

  if (history.agentApproved > 0) {
    const env = environmentOf(request.context);
    const changes: string[] = [];
    for (const key of ["name", "runtime"] as const) {
      const h = history.environment[key];
      if (h.known === false && h.seen.length > 0) changes.push(`${key} ${env[key]} (before: ${h.seen.join(", ")})`);
    }
    if (changes.length) {
      flags.push({ code: "new_environment", severity: "medium", explanation: `${agent} runs in a new environment: ${changes.join("; ")}` });
    }
  }

  const hidden = scanRequest(request);
  if (hidden.length)
    flags.push({
      code: "hidden_characters",
      severity: hiddenSeverity(hidden),
      explanation: `Hidden or direction-changing characters in ${describeFindings(hidden)}`,
    });

  const confidence = request.context.confidence;
  if (typeof confidence === "number" && confidence < t.lowConfidence) {
    flags.push({
      code: "low_confidence",
      severity: confidence < t.lowConfidence / 2 ? "medium" : "low",
      explanation: `The agent states a confidence of ${fmt(confidence)} (below ${fmt(t.lowConfidence)})`,
    });
  }

  flags.sort((a, b) => ORDER[a.severity] - ORDER[b.severity]);
  return { score: riskScore(flags, stake), flags };
}

/**
 * High when the characters are in what runs (params, action, resource) or
 * reorder or smuggle text (bidi controls, tag characters) anywhere; medium
 * for invisible ones in prose (a zero-width non-joiner is part of Persian
 * spelling, say).
 */
function hiddenSeverity(findings: HiddenFinding[]): RiskSeverity {
  const bound = findings.some((f) => /^(params|action|resource)\b/.test(f.path));
  const reorders = findings.some((f) => f.characters.some((c) => c.kind === "bidi" || c.kind === "tag"));
  return bound || reorders ? "high" : "medium";
}

/** A value far above the largest approved one, or many standard deviations outside the approved range. */
export function unusualValue(path: string, value: number, s: ParamStats, t: RiskThresholds = DEFAULT_THRESHOLDS): RiskFlag | null {
  if (s.max > 0 && value > s.max * t.amountRatio) {
    const ratio = value / s.max;
    return {
      code: "unusual_amount",
      severity: ratio >= 10 ? "high" : "medium",
      explanation: `${path} ${fmt(value)} is ${times(ratio)}× the largest approved (${fmt(s.max)})`,
    };
  }
  if (s.n >= t.minApprovalsForZ && (value > s.max || value < s.min)) {
    const sd = Math.sqrt(s.m2 / (s.n - 1));
    const z = sd > 0 ? Math.abs(value - s.mean) / sd : Infinity;
    if (z >= t.amountZ) {
      return {
        code: "unusual_amount",
        severity: z >= 2 * t.amountZ ? "high" : "medium",
        explanation: `${path} ${fmt(value)} is far outside what was approved before (${fmt(s.min)} to ${fmt(s.max)} over ${fmt(s.n)} approvals${Number.isFinite(z) ? `, ${times(z)} standard deviations from the mean` : ""})`,
      };
    }
  }
  return null;
}

/** Welford's update: the statistics after one more approved value (the SQL upsert in record-risk-history.ts does the same). */
export function addToStats(s: ParamStats | undefined, x: number): ParamStats {
  if (!s || s.n === 0) return { n: 1, min: x, max: x, mean: x, m2: 0 };
  const n = s.n + 1;
  const delta = x - s.mean;
  const mean = s.mean + delta / n;
  return { n, min: Math.min(s.min, x), max: Math.max(s.max, x), mean, m2: s.m2 + delta * (x - mean) };
}

/** The median of hourly counts, where hours absent from `counts` had none. */
export function hourlyMedian(counts: number[], hours: number): number {
  if (hours <= 0) return 0;
  const sorted = [...new Array<number>(Math.max(0, hours - counts.length)).fill(0), ...counts].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
