import { toAgentObject } from "@/lib/agents/agent-view";
import { getAgentSummary } from "@/lib/agents/list-agents";
import { retireAgent } from "@/lib/agents/retire-agent";
import { json } from "@/lib/http/body";
import { readOptionalBody } from "@/app/api/v1/admin/agents/_lib/optional-body";
import { withSession } from "@/lib/http/with-session";
import { AgentStatusBody } from "@/lib/schemas/admin";

/** Retires the agent for good: its keys answer 401; pending requests cancelled and grants revoked as for a suspension. */
export const POST = withSession<{ id: string }>(["admin"], async (req, { user, params }) => {
  const body = await readOptionalBody(req, AgentStatusBody);
  const result = await retireAgent({ agentId: params.id, reason: body.reason ?? null, actor: `user:${user.id}` });
  const agent = await getAgentSummary(result.agentId);
  return json({ agent: agent && toAgentObject(agent), cancelled_requests: result.cancelledRequests, revoked_grants: result.revokedGrants });
});
