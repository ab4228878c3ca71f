import "server-only";
import { appendEvents } from "../audit/append-event.ts";
import { revokeUserSessions } from "../auth/sessions.ts";
import { transact } from "../db.ts";
import { AppError } from "../errors.ts";
import { assertAnotherAdmin, lockUser, type UserRef } from "./find-user.ts";

export type SetUserDisabledOptions = UserRef & {
  disabled: boolean;
  actor: string;
};

/**
 * Disables (or re-enables) an account. Disabling also ends every session the
 * user holds and closes their live streams, on every instance, at once.
 * The last enabled admin cannot be disabled.
 */
export async function setUserDisabled(o: SetUserDisabledOptions): Promise<{ userId: string; changed: boolean }> {
  return transact(async (trx) => {
    const user = await lockUser(trx, o);
    if (user.disabled === o.disabled) return { userId: user.id, changed: false };
    if (o.disabled && user.role === "admin") await assertAnotherAdmin(trx, user.id);
    if (o.disabled && o.actor === `user:${user.id}`) throw new AppError("conflict", "you cannot disable your own account");
    await trx.updateTable("users").set({ disabled: o.disabled }).where("id", "=", user.id).execute();
    if (o.disabled) await revokeUserSessions(trx, user.id);
    await appendEvents(trx, [
      {
        type: o.disabled ? "user.disabled" : "user.enabled",
        actor: o.actor,
        data: { user_id: user.id, email: user.email, before: { disabled: user.disabled }, after: { disabled: o.disabled } },
      },
    ]);
    return { userId: user.id, changed: true };
  });
}
