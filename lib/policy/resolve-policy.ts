/**
 * The rule that decides how a request is handled, as recorded on the request.
 * Until admin-defined rules exist, one built-in rule applies to every action;
 * the policy engine replaces `resolvePolicy` and keeps this shape.
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
});

export interface PolicyInput {
  action: string;
  resource: string | null;
  params: Record<string, unknown>;
  context: Record<string, unknown>;
  agent: { id: string; name: string; tags: string[]; trustLevel: string; ownerEmail: string | null };
}

export function resolvePolicy(_input: PolicyInput): ResolvedPolicy {
  return BUILTIN_POLICY;
}
