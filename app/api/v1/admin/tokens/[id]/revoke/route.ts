import { revokeAdminToken } from "@/lib/admin-tokens/admin-tokens";
import { json } from "@/lib/http/body";
import { withSession } from "@/lib/http/with-session";

export const POST = withSession<{ id: string }>(["admin"], async (_req, { user, params }) => {
  await revokeAdminToken({ tokenId: params.id, actor: `user:${user.id}` });
  return json({ id: params.id, revoked: true });
});
