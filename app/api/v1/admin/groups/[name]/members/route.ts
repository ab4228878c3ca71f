import { json, readBody } from "@/lib/http/body";
import { withSession } from "@/lib/http/with-session";
import { GroupMemberBody } from "@/lib/schemas/admin";
import { addGroupMember, listGroups } from "@/lib/users/groups";
import { toGroupObject } from "@/lib/users/user-view";

/** Puts a user (by `user_id` or `email`) in the group. */
export const POST = withSession<{ name: string }>(["admin"], async (req, { user, params }) => {
  const b = await readBody(req, GroupMemberBody);
  const ref = "user_id" in b ? { userId: b.user_id } : { email: b.email };
  await addGroupMember({ ...ref, group: params.name, actor: `user:${user.id}` });
  const group = (await listGroups()).find((g) => g.name === params.name.toLowerCase());
  return json(group ? toGroupObject(group) : null);
});
