import { AppError } from "../errors.ts";
import type { PolicyRuleDefinition } from "./policy-document.ts";

/**
 * "Approve and remember, narrowly" (issue 15): from a request people decided,
 * a rule for this agent and this exact action whose condition bounds the
 * params seen, in shadow mode for an admin to try and then enforce. Pure: the
 * route reads the request and the similar decisions, this decides the rule.
 */

export interface ProposeRuleInput {
  request: {
    id: string;
    action: string;
    agentName: string;
    status: string;
    /** `user:…`, `policy:…`, `system`, `agent`, or null while pending. */
    decisionBy: string | null;
    decisionReason: string | null;
    params: Record<string, unknown>;
  };
  /** Params of the same agent's other requests for the same action that people decided the same way. */
  similar: Record<string, unknown>[];
  /** Rule names in use: the proposal takes a free one. */
  takenNames: ReadonlySet<string>;
}

export interface ParamBound {
  param: string;
  /** The CEL that bounds it. */
  condition: string;
  /** How many requests' values it was drawn from. */
  seen: number;
}

export interface ProposedRule {
  rule: PolicyRuleDefinition;
  /** One per bounded param. */
  bounds: ParamBound[];
  /** Params no condition bounds (nested values, mixed types, too many distinct strings): any value passes for them. */
  unbounded: string[];
  /** How many decided requests (this one included) the bounds cover. */
  based_on: number;
}

/** More distinct strings than this, and a param is left unbounded rather than listed. */
export const MAX_LISTED_STRINGS = 10;
const MAX_LISTED_STRING_LENGTH = 256;

const CEL_RESERVED = new Set(
  "in as break const continue else for function if import let loop package namespace return var void while true false null".split(" "),
);

/** `params.name`, or `params["na-me"]` when the name is no plain CEL identifier. */
export function paramRef(name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) && !CEL_RESERVED.has(name) ? `params.${name}` : `params[${celString(name)}]`;
}

/** A CEL string literal (JSON's escapes are a subset of CEL's). */
const celString = (s: string) => JSON.stringify(s);

/** A CEL number literal: an int while exact, else a double in exponent form (a long run of digits would overflow CEL's int64). */
const celNumber = (n: number) => (!Number.isInteger(n) || Math.abs(n) <= 2 ** 53 ? String(n) : n.toExponential());

/**
 * The condition that bounds one param over the values seen, or null when
 * none can: numbers by their range (an allow never reaches below zero unless
 * a negative was approved; a deny covers the smallest denied value and
 * above), strings and booleans by the set seen.
 */
export function boundParam(name: string, values: unknown[], effect: "allow" | "deny"): string | null {
  const ref = paramRef(name);
  if (values.length === 0) return null;
  if (values.every((v) => typeof v === "number" && Number.isFinite(v))) {
    const nums = values as number[];
    const min = Math.min(...nums);
    const max = Math.max(...nums);
    if (effect === "deny") return `${ref} >= ${celNumber(min)}`;
    return `${ref} >= ${celNumber(Math.min(0, min))} && ${ref} <= ${celNumber(max)}`;
  }
  if (values.every((v) => typeof v === "string")) {
    const distinct = [...new Set(values as string[])].sort();
    if (distinct.length > MAX_LISTED_STRINGS || distinct.some((s) => s.length > MAX_LISTED_STRING_LENGTH)) return null;
    return distinct.length === 1 ? `${ref} == ${celString(distinct[0])}` : `${ref} in [${distinct.map(celString).join(", ")}]`;
  }
  if (values.every((v) => typeof v === "boolean")) {
    const distinct = [...new Set(values as boolean[])];
    return distinct.length === 1 ? `${ref} == ${distinct[0]}` : null;
  }
  return null;
}

/** A rule name from the agent and action, free among `taken`. */
export function proposedName(effect: "allow" | "deny", agentName: string, action: string, taken: ReadonlySet<string>): string {
  const slug = `${effect}-${agentName}-${action}`
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, "-")
    .replace(/-+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 58);
  for (let n = 1; ; n++) {
    const name = n === 1 ? slug : `${slug}-${n}`;
    if (!taken.has(name)) return name;
  }
}

export function proposeRule(input: ProposeRuleInput): ProposedRule {
  const { request } = input;
  if (request.status !== "approved" && request.status !== "denied") {
    throw new AppError("conflict", `a rule can be proposed only from an approved or denied request; this one is ${request.status}`);
  }
  if (!request.decisionBy?.startsWith("user:")) {
    throw new AppError("conflict", "this request was decided by policy, not by people: a rule already handles it");
  }
  const effect = request.status === "approved" ? "allow" : "deny";
  const all = [request.params, ...input.similar];
  const names = Object.keys(request.params).sort();
  const bounds: ParamBound[] = [];
  const unbounded: string[] = [];
  for (const name of names) {
    const values = all.filter((p) => Object.hasOwn(p, name)).map((p) => p[name]);
    const condition = boundParam(name, values, effect);
    if (condition) bounds.push({ param: name, condition, seen: values.length });
    else unbounded.push(name);
  }
  // Never a blanket allow: an allow must bound at least one param the agent sent.
  if (effect === "allow" && bounds.length === 0) {
    throw new AppError(
      "conflict",
      names.length === 0
        ? "this request has no params to bound, and a rule that allows every such request is not proposed"
        : `no condition can bound this request's params (${unbounded.join(", ")}), and a rule that allows them unbounded is not proposed`,
    );
  }
  const conditions = bounds.map((b) => (b.condition.includes("&&") ? `(${b.condition})` : b.condition));
  // An allow also holds the agent to the params it was approved with: an extra param would pass unexamined.
  if (effect === "allow") conditions.unshift(`params.all(k, k in [${names.map(celString).join(", ")}])`);
  const rule: PolicyRuleDefinition = {
    name: proposedName(effect, request.agentName, request.action, input.takenNames),
    description: `Proposed from ${request.id} (${request.status} by a reviewer), bounding the params of ${all.length} such decision${all.length === 1 ? "" : "s"}.`,
    enabled: true,
    mode: "shadow",
    actions: [request.action],
    agents: { names: [request.agentName] },
    ...(conditions.length ? { condition: conditions.join(" && ") } : {}),
    effect,
    ...(effect === "deny" ? { reason: (request.decisionReason ?? "").slice(0, 1000) || `denied by a reviewer before (${request.id})` } : {}),
  };
  return { rule, bounds, unbounded, based_on: all.length };
}
