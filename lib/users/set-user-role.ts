import "server-only";
import { appendEvent } from "../audit/append-event.ts";
import { refreshUserSessions } from "../auth/sessions.ts";
import { prismaTransact } from "../db.ts";
import type { Role } from "./roles.ts";
import { assertAnotherAdmin, lockUser, type UserRef } from "./find-user.ts";

export type SetUserRoleOptions = UserRef & { role: Role; actor: string };

/**
 * Changes a user's role. Sessions re-read the role on every request, so it
 * applies at once; their open streams close and reconnect under the new role.
 */
export async function setUserRole(o: SetUserRoleOptions): Promise<{ userId: string; role: Role; changed: boolean }> {
  return prismaTransact(async (tx) => {
    const user = await lockUser(tx, o);
    if (user.role === o.role) return { userId: user.id, role: o.role, changed: false };
    if (user.role === "admin" && !user.disabled) await assertAnotherAdmin(tx, user.id);
    await tx.user.update({ where: { id: user.id }, data: { role: o.role } });
    await refreshUserSessions(tx, user.id);
    await appendEvent(tx, {
      type: "user.role_changed",
      actor: o.actor,
      data: { user_id: user.id, email: user.email, before: { role: user.role }, after: { role: o.role } },
    });
    return { userId: user.id, role: o.role, changed: true };
  });
}
