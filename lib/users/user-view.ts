import "server-only";
import type { GroupObject, UserObject } from "../schemas/admin-objects.ts";
import type { GroupSummary } from "./groups.ts";
import type { UserSummary } from "./list-users.ts";

/** A user as the admin API answers it: never the password hash. */
export function toUserObject(u: UserSummary): UserObject {
  return {
    id: u.id,
    email: u.email,
    name: u.name,
    role: u.role,
    disabled: u.disabled,
    local_account: u.hasPassword,
    groups: u.groups,
    created_at: u.createdAt.toISOString(),
    last_sign_in_at: u.lastSignInAt ? u.lastSignInAt.toISOString() : null,
  };
}
export type { GroupObject, UserObject };

export function toGroupObject(g: GroupSummary): GroupObject {
  return {
    id: g.id,
    name: g.name,
    created_at: g.createdAt.toISOString(),
    members: g.members.map((m) => ({ id: m.id, email: m.email, name: m.name, role: m.role, disabled: m.disabled })),
  };
}
