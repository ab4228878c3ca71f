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
 * configured default, which always requires approval (fail closed). Runs on
 * the cached, compiled rule set: no database work per request.
 */
export async function evaluatePolicy(input: EvaluatePolicyInput): Promise<ResolvedPolicy> {
  const ruleSet = await currentRuleSet(input.policyRevision);
  return decide(ruleSet, input, input.now ?? new Date());
}
