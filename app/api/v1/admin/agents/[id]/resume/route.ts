import { toAgentObject } from "@/lib/agents/agent-view";
import { getAgentSummary } from "@/lib/agents/list-agents";
import { resumeAgent } from "@/lib/agents/resume-agent";
import { json } from "@/lib/http/body";
import { withSession } from "@/lib/http/with-session";
import { AgentStatusBody } from "@/lib/schemas/admin";
import { readOptionalBody } from "@/app/api/v1/admin/agents/_lib/optional-body";

/** Lets a suspended agent's keys work again (requests cancelled by the suspension stay cancelled). */
export const POST = withSession<{ id: string }>(["admin"], async (req, { user, params }) => {
  const body = await readOptionalBody(req, AgentStatusBody);
  const result = await resumeAgent({ agentId: params.id, reason: body.reason ?? null, actor: `user:${user.id}` });
  const agent = await getAgentSummary(result.agentId);
  return json({ agent: agent && toAgentObject(agent) });
});
