import "server-only";
import { db } from "../db.ts";
import { getRequestById } from "../requests/get-request.ts";
import { type ProposedRule, proposeRule } from "./propose-rule.ts";

/** How many of the agent's earlier decisions (same action, same outcome, by people) the bounds take in. */
export const SIMILAR_DECISIONS = 20;

/**
 * The rule `proposeRule` makes of request `requestId`: the request, the same
 * agent's latest requests for the same action that people decided the same
 * way (newest first by id, one index), and the rule names in use.
 */
export async function proposeRuleForRequest(requestId: string): Promise<ProposedRule> {
  const r = await getRequestById(requestId);
  const [agent, similar, names] = await Promise.all([
    db().selectFrom("agents").select("name").where("id", "=", r.agentId).executeTakeFirstOrThrow(),
    db()
      .selectFrom("actionRequests")
      .select("params")
      .where("agentId", "=", r.agentId)
      .where("action", "=", r.action)
      .where("status", "=", r.status)
      .where("id", "<>", r.id)
      .where("decisionBy", "like", "user:%")
      .orderBy("id", "desc")
      .limit(SIMILAR_DECISIONS)
      .execute(),
    db().selectFrom("policyRules").select("name").execute(),
  ]);
  return proposeRule({
    request: {
      id: r.id,
      action: r.action,
      agentName: agent.name,
      status: r.status,
      decisionBy: r.decisionBy,
      decisionReason: r.decisionReason,
      // Stored from validated request bodies: JSON objects.
      params: r.params as Record<string, unknown>,
    },
    similar: similar.map((s) => s.params as Record<string, unknown>),
    takenNames: new Set(names.map((n) => n.name)),
  });
}
