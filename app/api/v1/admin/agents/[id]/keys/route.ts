import { toKeyObject } from "@/lib/agents/agent-view";
import { issueAgentKey, listAgentKeys } from "@/lib/agents/keys-admin";
import { getAgentSummary } from "@/lib/agents/list-agents";
import { AppError } from "@/lib/errors";
import { json } from "@/lib/http/body";
import { readOptionalBody } from "@/app/api/v1/admin/agents/_lib/optional-body";
import { withSession } from "@/lib/http/with-session";
import { IssueKeyBody } from "@/lib/schemas/admin";

/** The agent's keys: ids and dates, never secrets. */
export const GET = withSession<{ id: string }>(["admin", "auditor"], async (_req, { params }) => {
  const agent = await getAgentSummary(params.id);
  if (!agent) throw new AppError("not_found", "no such agent");
  return json({ data: (await listAgentKeys(agent.id)).map((k) => toKeyObject(k)) });
});

/** Issues another key (rotation: the old ones stay live until revoked). The key is in this answer only. */
export const POST = withSession<{ id: string }>(["admin"], async (req, { user, params }) => {
  const b = await readOptionalBody(req, IssueKeyBody);
  const expiresAt = b.expires_in_days ? new Date(Date.now() + b.expires_in_days * 86_400_000) : null;
  const issued = await issueAgentKey({ agentId: params.id, expiresAt, actor: `user:${user.id}` });
  return json({ key_id: issued.keyId, key: issued.key, expires_at: issued.expiresAt?.toISOString() ?? null }, { status: 201 });
});
