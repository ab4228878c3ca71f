import "server-only";

/** A rule whose condition failed at evaluation, and how it was then treated (fail closed, see match-rules.ts). */
export interface ConditionErrorRecord {
  rule_id: string;
  rule_name: string;
  rule_version: number;
  error: string;
  treated_as: "match" | "no_match";
}

/** A shadow rule (`mode: shadow`) that matched a request; it changed nothing (API 1.1 `shadow_matches`). */
export interface ShadowMatchRecord {
  rule: string;
  rule_id: string;
  version: number;
  effect: "allow" | "deny" | "require_approval";
  /** The rule's condition errored and, failing closed as an enforced rule would, counted as a match. */
  condition_error?: string;
}

/**
 * The rule that decided how a request is handled, as recorded on the request
 * (see evaluate-policy.ts). `BUILTIN_POLICY` is what applies when no rule
 * matches and no default has been configured.
 */
export interface ResolvedPolicy {
  id: string;
  name: string;
  version: number;
  effect: "allow" | "deny" | "require_approval";
  /** Shown to the agent when the effect is `deny`. */
  denyReason: string | null;
  approvalsRequired: number;
  /** Reviewer groups whose members may decide; empty means any reviewer. */
  reviewerGroups: string[];
  reasonRequiredToApprove: boolean;
  /** Upper bound (and default) for how long a decision may take. */
  waitSeconds: number;
  grantTtlSeconds: number;
  audience: string;
  ownerMayDecide: boolean;
  /** Top-level param names reviewers may amend before approving; empty: no edits. */
  reviewersMayEdit: string[];
  /** Conditions that errored while the rules were tried (each treated as a match, or for `allow` as no match). */
  conditionErrors: readonly ConditionErrorRecord[];
  /** Shadow rules that matched: recorded, never applied. */
  shadowMatches: readonly ShadowMatchRecord[];
}

export const BUILTIN_POLICY: ResolvedPolicy = Object.freeze({
  id: "pol_builtin_default",
  name: "Built-in: one approval by any reviewer",
  version: 1,
  effect: "require_approval",
  denyReason: null,
  approvalsRequired: 1,
  reviewerGroups: [],
  reasonRequiredToApprove: false,
  waitSeconds: 900,
  grantTtlSeconds: 300,
  audience: "countersign",
  ownerMayDecide: false,
  reviewersMayEdit: [],
  conditionErrors: [],
  shadowMatches: [],
});

export interface PolicyInput {
  action: string;
  resource: string | null;
  params: Record<string, unknown>;
  context: Record<string, unknown>;
  agent: { id: string; name: string; tags: string[]; trustLevel: string; ownerEmail: string | null };
  /** Risk signals (lib/risk); absent when not assessed (turned off, a request from before they existed): conditions on them fail closed. */
  risk?: { score: number; flags: readonly { code: string }[] } | null;
}
