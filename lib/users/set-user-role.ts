import "server-only";
import { appendEvents } from "../audit/append-event.ts";
import { refreshUserSessions } from "../auth/sessions.ts";
import { transact } from "../db.ts";
import type { Role } from "./roles.ts";
import { assertAnotherAdmin, lockUser, type UserRef } from "./find-user.ts";

export type SetUserRoleOptions = UserRef & { role: Role; actor: string };

/**
 * Changes a user's role. Sessions re-read the role on every request, so it
 * applies at once; their open streams close and reconnect under the new role.
 */
export async function setUserRole(o: SetUserRoleOptions): Promise<{ userId: string; role: Role; changed: boolean }> {
  return transact(async (trx) => {
    const user = await lockUser(trx, o);
    if (user.role === o.role) return { userId: user.id, role: o.role, changed: false };
    if (user.role === "admin" && !user.disabled) await assertAnotherAdmin(trx, user.id);
    await trx.updateTable("users").set({ role: o.role }).where("id", "=", user.id).execute();
    refreshUserSessions(trx, user.id);
    await appendEvents(trx, [
      {
        type: "user.role_changed",
        actor: o.actor,
        data: { user_id: user.id, email: user.email, before: { role: user.role }, after: { role: o.role } },
      },
    ]);
    return { userId: user.id, role: o.role, changed: true };
  });
}
