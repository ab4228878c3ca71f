import "server-only";
import { appendEvent } from "../audit/append-event.ts";
import { revokeUserSessions } from "../auth/sessions.ts";
import { prismaTransact } from "../db.ts";
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
  return prismaTransact(async (tx) => {
    const user = await lockUser(tx, o);
    if (user.disabled === o.disabled) return { userId: user.id, changed: false };
    if (o.disabled && user.role === "admin") await assertAnotherAdmin(tx, user.id);
    if (o.disabled && o.actor === `user:${user.id}`) throw new AppError("conflict", "you cannot disable your own account");
    await tx.user.update({ where: { id: user.id }, data: { disabled: o.disabled } });
    if (o.disabled) await revokeUserSessions(tx, user.id);
    await appendEvent(tx, {
      type: o.disabled ? "user.disabled" : "user.enabled",
      actor: o.actor,
      data: { user_id: user.id, email: user.email, before: { disabled: user.disabled }, after: { disabled: o.disabled } },
    });
    return { userId: user.id, changed: true };
  });
}
