import "server-only";
import {
  compileCondition,
  conditionBindings,
  conditionHistoryNeeds,
  type ConditionBindings,
  type ConditionProgram,
  type ConditionVars,
  type HistoryTotals,
} from "./cel.ts";
import { type HistoryNeed, historyKey } from "./history-conditions.ts";
import type { PolicyDefaults, PolicyRuleDefinition } from "./policy-document.ts";
import { BUILTIN_POLICY, type ConditionErrorRecord, type PolicyInput, type ResolvedPolicy, type ShadowMatchRecord } from "./resolve-policy.ts";

export type { ConditionErrorRecord, ShadowMatchRecord };

/**
 * Rule matching, free of I/O: the evaluator runs it over the cached rule set,
 * the simulator over a rule set with a draft inserted, the unit tests over
 * hand-made rules.
 */

export interface StoredRule {
  id: string;
  name: string;
  version: number;
  position: number;
  enabled: boolean;
  definition: PolicyRuleDefinition;
}

export interface CompiledRule extends StoredRule {
  condition: ConditionProgram | null;
  /** What the condition reads of the agent's history (`history.count`/`history.sum`); usually nothing. */
  history?: HistoryNeed[];
}

export interface RuleSet {
  /** Enabled and disabled rules in evaluation order, shadow rules among them (skipped when deciding). */
  rules: CompiledRule[];
  defaults: PolicyDefaults;
  /** The shadow rules of `rules`, picked out once when the set is compiled; derived from `rules` when absent. */
  shadow?: CompiledRule[];
}

export const isShadow = (rule: StoredRule): boolean => rule.definition.mode === "shadow";

/** A rule set with its shadow rules picked out, so evaluation does not filter them per request. */
export function withShadowIndex(ruleSet: RuleSet): RuleSet {
  return { ...ruleSet, shadow: ruleSet.rules.filter(isShadow) };
}

export const BUILTIN_DEFAULTS: PolicyDefaults = Object.freeze({
  effect: "require_approval",
  approvals_required: BUILTIN_POLICY.approvalsRequired,
  wait_seconds: BUILTIN_POLICY.waitSeconds,
  grant_ttl_seconds: BUILTIN_POLICY.grantTtlSeconds,
});

/** `*` matches everything; `prefix.*` matches `prefix.anything` at any depth; anything else is exact. */
export function actionMatches(pattern: string, action: string): boolean {
  if (pattern === "*") return true;
  if (pattern.endsWith(".*")) return action.startsWith(pattern.slice(0, -1));
  return pattern === action;
}

/** An omitted selector (or one with no names and no tags) selects every agent; otherwise a name or a tag in common. */
export function agentSelected(selector: PolicyRuleDefinition["agents"], agent: PolicyInput["agent"]): boolean {
  const names = selector?.names ?? [];
  const tags = selector?.tags ?? [];
  if (names.length === 0 && tags.length === 0) return true;
  return names.includes(agent.name) || tags.some((t) => agent.tags.includes(t));
}

// Compiled programs by rule id and version: a version never changes, so a
// program compiled once serves every later load of the rule set.
const programs = new Map<string, { program: ConditionProgram; history: HistoryNeed[] }>();

export function compileRule(rule: StoredRule): CompiledRule {
  const source = rule.definition.condition;
  if (!source) return { ...rule, condition: null };
  const key = `${rule.id}@${rule.version}`;
  let compiled = programs.get(key);
  if (!compiled) {
    compiled = { program: compileCondition(source), history: conditionHistoryNeeds(source) };
    programs.set(key, compiled);
  }
  return { ...rule, condition: compiled.program, history: compiled.history };
}

/** The enabled rules that read history, per rule set (most rule sets have none: then this is all it costs). */
const historyRulesOf = new WeakMap<CompiledRule[], CompiledRule[]>();
/** `historyNeedsFor` per rule set, by what selects rules (action, agent name and tags): at most this many kept. */
const needsOf = new WeakMap<CompiledRule[], Map<string, HistoryNeed[]>>();
const NEEDS_KEPT = 10_000;

/**
 * What evaluating `input` reads of its agent's history (`needs`, one entry
 * per distinct total): the history calls of the rules that select the
 * request. A request that only would be counted by them (it reads nothing)
 * needs no guard: it orders after any evaluation that did not see it. Only
 * the action and the agent's name and tags select rules, so the answer is
 * kept per rule set for each of those (200 history rules cost ~30 µs a
 * request to walk, asked twice per create).
 */
export function historyNeedsFor(rules: CompiledRule[], input: Pick<PolicyInput, "action" | "agent">): { needs: readonly HistoryNeed[] } {
  let historyRules = historyRulesOf.get(rules);
  if (!historyRules) {
    historyRules = rules.filter((r) => r.enabled && r.history && r.history.length > 0);
    historyRulesOf.set(rules, historyRules);
  }
  if (historyRules.length === 0) return { needs: [] };
  let known = needsOf.get(rules);
  if (!known) needsOf.set(rules, (known = new Map()));
  const key = JSON.stringify([input.action, input.agent.name, input.agent.tags]);
  let needs = known.get(key);
  if (!needs) {
    const distinct = new Map<string, HistoryNeed>();
    for (const rule of historyRules) {
      if (!ruleSelects(rule, input)) continue;
      for (const n of rule.history ?? []) distinct.set(historyKey(n), n);
    }
    needs = [...distinct.values()];
    if (known.size >= NEEDS_KEPT) known.clear();
    known.set(key, needs);
  }
  return { needs };
}

/** What a condition error makes of `rule`: never allows (fail closed). */
export const treatedAs = (effect: PolicyRuleDefinition["effect"]): ConditionErrorRecord["treated_as"] => (effect === "allow" ? "no_match" : "match");

/** Whether `rule` selects `input` by its switch, actions and agents (its condition aside). */
export function ruleSelects(rule: StoredRule, input: Pick<PolicyInput, "action" | "agent">): boolean {
  return rule.enabled && rule.definition.actions.some((p) => actionMatches(p, input.action)) && agentSelected(rule.definition.agents, input.agent);
}

/**
 * Whether `rule` applies to `input`. A condition that fails at evaluation
 * (a missing field, a bad operand) never fails open: it is no match for
 * `allow` and a match for `deny` and `require_approval`; the error is
 * returned so it can be shown and counted.
 */
export function ruleMatches(rule: CompiledRule, input: PolicyInput, vars: () => ConditionBindings): { matched: boolean; error?: string } {
  if (!ruleSelects(rule, input)) return { matched: false };
  if (!rule.condition) return { matched: true };
  const result = rule.condition(vars());
  if (result.ok) return { matched: result.value };
  return { matched: treatedAs(rule.definition.effect) === "match", error: result.error };
}

export function conditionVars(input: PolicyInput, now: Date): ConditionVars {
  return {
    action: input.action,
    resource: input.resource,
    params: input.params,
    context: input.context,
    agent: { id: input.agent.id, name: input.agent.name, tags: input.agent.tags, trust_level: input.agent.trustLevel, owner: input.agent.ownerEmail },
    now,
    risk: input.risk ? { score: input.risk.score, flags: input.risk.flags.map((f) => f.code) } : null,
  };
}

/** The first matching enabled rule in order (or null), and every condition that errored on the way to it. */
export function firstMatch(
  rules: CompiledRule[],
  input: PolicyInput,
  now: Date,
  lazyVars: () => ConditionBindings = lazyBindings(input, now),
): { rule: CompiledRule | null; conditionErrors: ConditionErrorRecord[] } {
  const conditionErrors: ConditionErrorRecord[] = [];
  for (const rule of rules) {
    // A shadow rule never decides (see shadowMatches).
    if (isShadow(rule)) continue;
    const { matched, error } = ruleMatches(rule, input, lazyVars);
    if (error !== undefined) {
      conditionErrors.push({ rule_id: rule.id, rule_name: rule.name, rule_version: rule.version, error, treated_as: matched ? "match" : "no_match" });
    }
    if (matched) return { rule, conditionErrors };
  }
  return { rule: null, conditionErrors };
}

/** The condition bindings of `input`, built on first use and then shared by every rule. */
/** The condition variables, built once on first use; `history` holds the prefetched totals for history.count/sum. */
export function lazyBindings(input: PolicyInput, now: Date, history: HistoryTotals = null): () => ConditionBindings {
  let vars: ConditionBindings | undefined;
  return () => (vars ??= conditionBindings(conditionVars(input, now), history));
}

/**
 * Every enabled shadow rule that matches `input`, in order. Matching is
 * exactly as if the rule were enforced (a condition error fails closed the
 * same way, and is noted), so the record says what promoting it would do;
 * the outcome is never touched.
 */
export function shadowMatches(shadow: CompiledRule[], input: PolicyInput, lazyVars: () => ConditionBindings): ShadowMatchRecord[] {
  const matches: ShadowMatchRecord[] = [];
  for (const rule of shadow) {
    const { matched, error } = ruleMatches(rule, input, lazyVars);
    if (!matched) continue;
    matches.push(
      error === undefined
        ? { rule: rule.name, rule_id: rule.id, version: rule.version, effect: rule.definition.effect }
        : { rule: rule.name, rule_id: rule.id, version: rule.version, effect: rule.definition.effect, condition_error: error },
    );
  }
  return matches;
}

export function defaultPolicy(defaults: PolicyDefaults): ResolvedPolicy {
  return {
    ...BUILTIN_POLICY,
    approvalsRequired: defaults.approvals_required,
    waitSeconds: defaults.wait_seconds,
    grantTtlSeconds: defaults.grant_ttl_seconds,
  };
}

export function rulePolicy(rule: StoredRule, defaults: PolicyDefaults): ResolvedPolicy {
  const d = rule.definition;
  return {
    id: rule.id,
    name: rule.name,
    version: rule.version,
    effect: d.effect,
    denyReason: d.effect === "deny" ? (d.reason ?? `denied by policy ${rule.name}`) : null,
    approvalsRequired: d.approvals_required ?? defaults.approvals_required,
    reviewerGroups: d.reviewers?.groups ?? [],
    reasonRequiredToApprove: d.reason_required_to_approve ?? false,
    waitSeconds: d.wait_seconds ?? defaults.wait_seconds,
    grantTtlSeconds: d.grant_ttl_seconds ?? defaults.grant_ttl_seconds,
    audience: d.audience ?? "countersign",
    ownerMayDecide: d.owner_may_decide ?? false,
    reviewersMayEdit: d.reviewers_may_edit ?? [],
    conditionErrors: [],
    shadowMatches: [],
  };
}

/** What applies to `input` under `ruleSet`: the first matching rule, else the default (require approval). */
export function decide(ruleSet: RuleSet, input: PolicyInput, now: Date, history: HistoryTotals = null): ResolvedPolicy {
  const lazyVars = lazyBindings(input, now, history);
  const { rule, conditionErrors } = firstMatch(ruleSet.rules, input, now, lazyVars);
  const shadow = shadowMatches(ruleSet.shadow ?? ruleSet.rules.filter(isShadow), input, lazyVars);
  return { ...(rule ? rulePolicy(rule, ruleSet.defaults) : defaultPolicy(ruleSet.defaults)), conditionErrors, shadowMatches: shadow };
}
