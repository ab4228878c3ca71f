import { toAgentObject } from "@/lib/agents/agent-view";
import { getAgentSummary } from "@/lib/agents/list-agents";
import { suspendAgent } from "@/lib/agents/suspend-agent";
import { json } from "@/lib/http/body";
import { readOptionalBody } from "@/app/api/v1/admin/agents/_lib/optional-body";
import { withSession } from "@/lib/http/with-session";
import { AgentStatusBody } from "@/lib/schemas/admin";

/** The kill switch: keys refused (403 agent_suspended), pending requests cancelled, unredeemed grants revoked, in one transaction. */
export const POST = withSession<{ id: string }>(["admin"], async (req, { user, params }) => {
  const body = await readOptionalBody(req, AgentStatusBody);
  const result = await suspendAgent({ agentId: params.id, reason: body.reason ?? null, actor: `user:${user.id}` });
  const agent = await getAgentSummary(result.agentId);
  return json({ agent: agent && toAgentObject(agent), cancelled_requests: result.cancelledRequests, revoked_grants: result.revokedGrants });
});
