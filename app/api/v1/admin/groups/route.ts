import { json, readBody } from "@/lib/http/body";
import { withSession } from "@/lib/http/with-session";
import { CreateGroupBody } from "@/lib/schemas/admin";
import { createGroup, listGroups } from "@/lib/users/groups";
import { toGroupObject } from "@/lib/users/user-view";

/** Reviewer groups with their members. Auditors may read them. */
export const GET = withSession(["admin", "auditor"], async () => json({ data: (await listGroups()).map(toGroupObject) }));

export const POST = withSession(["admin"], async (req, { user }) => {
  const b = await readBody(req, CreateGroupBody);
  const group = await createGroup({ name: b.name, actor: `user:${user.id}` });
  return json({ id: group.id, name: group.name, members: [] }, { status: 201 });
});
