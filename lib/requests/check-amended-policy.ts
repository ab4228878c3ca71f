import "server-only";
import { sql } from "kysely";
import { db } from "../db.ts";
import { loadHistoryTotals } from "../history/approval-history.ts";
import { evaluatePolicy } from "../policy/evaluate-policy.ts";

/**
 * Why the amended params would be handled differently from the request as
 * created (another rule, another effect, another number of approvals), or
 * null when the same rule still handles them. Runs before the decision's
 * transaction: policy evaluation may load the rule set, and nothing it reads
 * (action, resource, context, agent, risk) changes while a request is pending.
 */
export async function amendedPolicyProblem(requestId: string, params: Record<string, unknown>): Promise<string | null> {
  const r = await db()
    .selectFrom("actionRequests as r")
    .innerJoin("agents as a", "a.id", "r.agentId")
    .select([
      "r.action",
      "r.resource",
      "r.context",
      sql.ref<unknown>("r.risk").as("risk"),
      "r.policyId",
      "r.policyName",
      "r.policyEffect",
      "r.approvalsRequired",
      "a.id as agentId",
      "a.name as agentName",
      "a.tags",
      "a.trustLevel",
      "a.ownerEmail",
    ])
    .where("r.id", "=", requestId)
    .executeTakeFirst();
  if (!r) return null; // the transaction answers 404
  const policy = await evaluatePolicy({
    action: r.action,
    resource: r.resource,
    params,
    context: (r.context ?? {}) as Record<string, unknown>,
    agent: { id: r.agentId, name: r.agentName, tags: r.tags, trustLevel: r.trustLevel, ownerEmail: r.ownerEmail },
    risk: (r.risk as { score: number; flags: { code: string }[] } | null) ?? null,
    // History conditions see the agent's history as it is now (unavailable: they fail closed).
    loadHistory: (needs, now) => loadHistoryTotals(db(), r.agentId, needs, now).catch(() => null),
  });
  if (policy.id === r.policyId && policy.effect === r.policyEffect && policy.approvalsRequired === r.approvalsRequired) return null;
  const what =
    policy.effect === "require_approval"
      ? `${policy.effect} with ${policy.approvalsRequired} approval${policy.approvalsRequired === 1 ? "" : "s"}`
      : policy.effect;
  return `the amended request would be handled by ${policy.name} (${what}), not ${r.policyName} (${r.policyEffect} with ${r.approvalsRequired} approval${r.approvalsRequired === 1 ? "" : "s"})`;
}
