import { AppError } from "@/lib/errors";
import { json, readBody } from "@/lib/http/body";
import { withSession } from "@/lib/http/with-session";
import { UpdateUserBody } from "@/lib/schemas/admin";
import { listUsers } from "@/lib/users/list-users";
import { setUserDisabled } from "@/lib/users/set-user-disabled";
import { setUserRole } from "@/lib/users/set-user-role";
import { toUserObject } from "@/lib/users/user-view";

async function userObject(id: string) {
  const u = (await listUsers()).find((x) => x.id === id);
  if (!u) throw new AppError("not_found", "no such user");
  return toUserObject(u);
}

export const GET = withSession<{ id: string }>(["admin", "auditor"], async (_req, { params }) => json(await userObject(params.id)));

/** Changes the role and/or disables or re-enables the account; each change is its own audit event. */
export const PATCH = withSession<{ id: string }>(["admin"], async (req, { user, params }) => {
  const b = await readBody(req, UpdateUserBody);
  const actor = `user:${user.id}`;
  if (b.role !== undefined) await setUserRole({ userId: params.id, role: b.role, actor });
  if (b.disabled !== undefined) await setUserDisabled({ userId: params.id, disabled: b.disabled, actor });
  return json(await userObject(params.id));
});
