import { rotateCallbackSecret } from "@/lib/delivery/deliveries";
import { json } from "@/lib/http/body";
import { withSession } from "@/lib/http/with-session";

/** Replaces the agent's callback secret at once; the new secret is in this answer only. */
export const POST = withSession<{ id: string }>(["admin"], async (_req, { user, params }) => {
  return json({ secret: await rotateCallbackSecret({ agentId: params.id, actor: `user:${user.id}` }) });
});
