import { toAgentObject } from "@/lib/agents/agent-view";
import { createAgent } from "@/lib/agents/create-agent";
import { getAgentSummary, listAgents } from "@/lib/agents/list-agents";
import { json, readBody } from "@/lib/http/body";
import { withSession } from "@/lib/http/with-session";
import { CreateAgentBody } from "@/lib/schemas/admin";

/** The agent inventory. Auditors may read it. */
export const GET = withSession(["admin", "auditor"], async () => {
  return json({ data: (await listAgents()).map((a) => toAgentObject(a)) });
});

/** Registers an agent and answers its first key, once. */
export const POST = withSession(["admin"], async (req, { user }) => {
  const b = await readBody(req, CreateAgentBody);
  const created = await createAgent({
    name: b.name,
    description: b.description ?? null,
    ownerEmail: b.owner ?? null,
    trustLevel: b.trust_level,
    tags: b.tags ?? [],
    keyExpiresAt: b.key_expires_in_days ? new Date(Date.now() + b.key_expires_in_days * 86_400_000) : null,
    actor: `user:${user.id}`,
  });
  const agent = await getAgentSummary(created.agentId);
  return json({ agent: agent && toAgentObject(agent), key: created.key, key_id: created.keyId, callback_secret: created.callbackSecret }, { status: 201 });
});
