import "server-only";
import { metrics } from "../metrics.ts";
import { decide } from "./match-rules.ts";
import type { PolicyInput, ResolvedPolicy } from "./resolve-policy.ts";
import { currentRuleSet } from "./rule-set.ts";

export type { PolicyInput, ResolvedPolicy } from "./resolve-policy.ts";

export interface EvaluatePolicyInput extends PolicyInput {
  /** The `now` conditions see; the current time when omitted. */
  now?: Date;
  /** The policy revision the caller observed (read with its agent key): the rules used are at least that new. */
  policyRevision?: string | null;
}

/**
 * Decides how a request is handled: the first enabled rule, in order, whose
 * action patterns, agent selector and condition match; otherwise the
 * configured default, which always requires approval (fail closed). A
 * condition that errors is recorded with the result (and counted). Runs on
 * the cached, compiled rule set: no database work per request.
 */
export async function evaluatePolicy(input: EvaluatePolicyInput): Promise<ResolvedPolicy> {
  const ruleSet = await currentRuleSet(input.policyRevision);
  const policy = decide(ruleSet, input, input.now ?? new Date());
  // A condition error fails closed quietly; the count per rule is how an operator notices.
  for (const e of policy.conditionErrors) metrics().conditionErrors.inc({ rule: e.rule_name });
  return policy;
}
