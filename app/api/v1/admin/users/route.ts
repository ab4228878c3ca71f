import { json, readBody } from "@/lib/http/body";
import { withSession } from "@/lib/http/with-session";
import { InviteUserBody } from "@/lib/schemas/admin";
import { inviteUser } from "@/lib/users/invite-user";
import { listUsers } from "@/lib/users/list-users";
import { toUserObject } from "@/lib/users/user-view";

/** Every account with role, status and groups. Auditors may read it. */
export const GET = withSession(["admin", "auditor"], async () => json({ data: (await listUsers()).map(toUserObject) }));

/** Invites a local account: answers a one-time password, shown once, for the admin to hand over. */
export const POST = withSession(["admin"], async (req, { user }) => {
  const b = await readBody(req, InviteUserBody);
  const { userId, password } = await inviteUser({ email: b.email, role: b.role, name: b.name ?? null, actor: `user:${user.id}` });
  const created = (await listUsers()).find((u) => u.id === userId);
  return json({ user: created && toUserObject(created), password }, { status: 201 });
});
