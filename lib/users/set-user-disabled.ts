import { appendEvent } from "../audit/append-event.ts";
import { db } from "../db.ts";
import { AppError } from "../errors.ts";
import { assertAnotherAdmin, lockUser, type UserRef } from "./find-user.ts";

export type SetUserDisabledOptions = UserRef & {
  disabled: boolean;
  actor: string;
};

/**
 * Disables (or re-enables) an account. Disabling also bumps the session
 * version, so every session the user holds stops working at its next request.
 * The last enabled admin cannot be disabled.
 */
export async function setUserDisabled(o: SetUserDisabledOptions): Promise<{ userId: string; changed: boolean }> {
  return db().$transaction(async (tx) => {
    const user = await lockUser(tx, o);
    if (user.disabled === o.disabled) return { userId: user.id, changed: false };
    if (o.disabled && user.role === "admin") await assertAnotherAdmin(tx, user.id);
    if (o.disabled && o.actor === `user:${user.id}`) throw new AppError("conflict", "you cannot disable your own account");
    await tx.user.update({
      where: { id: user.id },
      data: { disabled: o.disabled, sessionVersion: o.disabled ? { increment: 1 } : undefined },
    });
    await appendEvent(tx, {
      type: o.disabled ? "user.disabled" : "user.enabled",
      actor: o.actor,
      data: { user_id: user.id, email: user.email, before: { disabled: user.disabled }, after: { disabled: o.disabled } },
    });
    return { userId: user.id, changed: true };
  });
}
