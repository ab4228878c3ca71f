import { json } from "@/lib/http/body";
import { withSession } from "@/lib/http/with-session";
import { resetUserPassword } from "@/lib/users/invite-user";

/** Sets a new one-time password (answered once) and ends the user's sessions. */
export const POST = withSession<{ id: string }>(["admin"], async (_req, { user, params }) => {
  const { userId, password } = await resetUserPassword({ userId: params.id, actor: `user:${user.id}` });
  return json({ user_id: userId, password });
});
