import { json } from "@/lib/http/body";
import { withSession } from "@/lib/http/with-session";
import { listGroups, removeGroupMember } from "@/lib/users/groups";
import { toGroupObject } from "@/lib/users/user-view";

/** Takes a user out of the group. */
export const DELETE = withSession<{ name: string; userId: string }>(["admin"], async (_req, { user, params }) => {
  await removeGroupMember({ userId: params.userId, group: params.name, actor: `user:${user.id}` });
  const group = (await listGroups()).find((g) => g.name === params.name.toLowerCase());
  return json(group ? toGroupObject(group) : null);
});
