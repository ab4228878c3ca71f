import { toKeyObject } from "@/lib/agents/agent-view";
import { revokeAgentKey } from "@/lib/agents/keys-admin";
import { json } from "@/lib/http/body";
import { withSession } from "@/lib/http/with-session";

/** Revokes one key: its next call answers 401. */
export const POST = withSession<{ id: string; keyId: string }>(["admin"], async (_req, { user, params }) => {
  const key = await revokeAgentKey({ agentId: params.id, keyId: params.keyId, actor: `user:${user.id}` });
  return json(toKeyObject(key));
});
