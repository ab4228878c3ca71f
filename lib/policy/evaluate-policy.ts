import "server-only";
import { metrics } from "../metrics.ts";
import type { HistoryTotals } from "./cel.ts";
import type { HistoryNeed } from "./history-conditions.ts";
import { decide, historyNeedsFor, type RuleSet } from "./match-rules.ts";
import type { PolicyInput, ResolvedPolicy } from "./resolve-policy.ts";
import { currentRuleSet } from "./rule-set.ts";

export type { PolicyInput, ResolvedPolicy } from "./resolve-policy.ts";

export interface EvaluatePolicyInput extends PolicyInput {
  /** The `now` conditions see; the current time when omitted. */
  now?: Date;
  /** The policy revision the caller observed (read with its agent key): the rules used are at least that new. */
  policyRevision?: string | null;
  /**
   * Loads the agent's history totals that the rules' `history.…` calls read
   * (called only when some do). Without it, or when it fails, history is
   * unavailable and those conditions fail closed.
   */
  loadHistory?: (needs: readonly HistoryNeed[], now: Date) => Promise<HistoryTotals>;
  /** The rule set to use, already loaded (the current one when omitted). */
  ruleSet?: RuleSet;
}

/**
 * What of the agent's history the conditions that select this request read
 * (see `historyNeedsFor`): when anything, its create guards against
 * approvals landing between the read and the insert
 * (lib/requests/create-request.ts). With the rule set, so the evaluation
 * uses the very one that was checked.
 */
export async function historyApplies(
  input: Pick<PolicyInput, "action" | "agent"> & { policyRevision?: string | null },
): Promise<{ needs: readonly HistoryNeed[]; ruleSet: RuleSet }> {
  const ruleSet = await currentRuleSet(input.policyRevision);
  return { needs: historyNeedsFor(ruleSet.rules, input).needs, ruleSet };
}

/**
 * Decides how a request is handled: the first enabled rule, in order, whose
 * action patterns, agent selector and condition match; otherwise the
 * configured default, which always requires approval (fail closed). A
 * condition that errors is recorded with the result (and counted). Runs on
 * the cached, compiled rule set: no database work per request.
 */
export async function evaluatePolicy(input: EvaluatePolicyInput): Promise<ResolvedPolicy> {
  const ruleSet = input.ruleSet ?? (await currentRuleSet(input.policyRevision));
  const now = input.now ?? new Date();
  const { needs } = historyNeedsFor(ruleSet.rules, input);
  const history = needs.length > 0 && input.loadHistory ? await input.loadHistory(needs, now) : null;
  const policy = decide(ruleSet, input, now, history);
  // A condition error fails closed quietly; the count per rule is how an operator notices.
  for (const e of policy.conditionErrors) metrics().conditionErrors.inc({ rule: e.rule_name });
  return policy;
}
