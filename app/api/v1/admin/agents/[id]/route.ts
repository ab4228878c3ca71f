import { toAgentObject, toKeyObject } from "@/lib/agents/agent-view";
import { listAgentKeys } from "@/lib/agents/keys-admin";
import { getAgentSummary } from "@/lib/agents/list-agents";
import { updateAgent } from "@/lib/agents/update-agent";
import { AppError } from "@/lib/errors";
import { json, readBody } from "@/lib/http/body";
import { withSession } from "@/lib/http/with-session";
import { UpdateAgentBody } from "@/lib/schemas/admin";

async function agentWithKeys(id: string) {
  const agent = await getAgentSummary(id);
  if (!agent) throw new AppError("not_found", "no such agent");
  const keys = await listAgentKeys(agent.id);
  return { ...toAgentObject(agent), keys: keys.map((k) => toKeyObject(k)) };
}

export const GET = withSession<{ id: string }>(["admin", "auditor"], async (_req, { params }) => json(await agentWithKeys(params.id)));

/** Edits description, owner, trust level and tags; the audit event records before and after. */
export const PATCH = withSession<{ id: string }>(["admin"], async (req, { user, params }) => {
  const b = await readBody(req, UpdateAgentBody);
  await updateAgent({
    agentId: params.id,
    changes: {
      description: b.description,
      ownerEmail: b.owner === "" ? null : b.owner,
      trustLevel: b.trust_level,
      tags: b.tags,
    },
    actor: `user:${user.id}`,
  });
  return json(await agentWithKeys(params.id));
});
