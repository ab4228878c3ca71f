import "server-only";
import { appendEvents } from "../audit/append-event.ts";
import { announceOnCommit, db, transact } from "../db.ts";
import { AppError } from "../errors.ts";
import { limitPasswordSignIn } from "../limits/sign-in-limits.ts";
import { lockUser } from "./find-user.ts";
import { hashPassword, verifyPassword } from "./passwords.ts";

export interface ChangePasswordOptions {
  userId: string;
  /** The session the change is made from: it stays; every other session of the user ends. */
  sessionId: string;
  currentPassword: string;
  newPassword: string;
  /** The client address, for the guessing limits shared with sign-in. */
  address: string;
}

export const MIN_PASSWORD_LENGTH = 12;

/**
 * A signed-in user replaces their own password. The current one is checked
 * under the same guessing limits as sign-in (a session left open must not
 * let someone try passwords freely), the new one is hashed like any other,
 * the one-time flag is cleared, and every other session of the user ends.
 */
export async function changePassword(o: ChangePasswordOptions): Promise<void> {
  if (o.newPassword.length < MIN_PASSWORD_LENGTH) {
    throw new AppError("validation_failed", `the new password needs at least ${MIN_PASSWORD_LENGTH} characters`, {
      errors: [{ path: "new_password", message: "too short" }],
    });
  }
  const found = await db().selectFrom("users").select(["id", "email", "passwordHash"]).where("id", "=", o.userId).executeTakeFirst();
  if (!found) throw new AppError("not_found", "no such user");
  if (found.passwordHash === null) {
    throw new AppError("conflict", "this account signs in with single sign-on and has no password to change");
  }
  const ok = await limitPasswordSignIn({ email: found.email, address: o.address }, async () =>
    (await verifyPassword(o.currentPassword, found.passwordHash)) ? true : null,
  );
  if (!ok) {
    throw new AppError("validation_failed", "the current password is not correct", {
      errors: [{ path: "current_password", message: "incorrect" }],
    });
  }
  if (o.newPassword === o.currentPassword) {
    throw new AppError("validation_failed", "the new password must differ from the current one", {
      errors: [{ path: "new_password", message: "same as the current password" }],
    });
  }
  const passwordHash = await hashPassword(o.newPassword);
  await transact(async (trx) => {
    const user = await lockUser(trx, { userId: o.userId });
    // Another change won the race since the check: the password checked is no longer the current one.
    if (user.passwordHash !== found.passwordHash) throw new AppError("conflict", "the password was changed meanwhile; sign in again");
    await trx.updateTable("users").set({ passwordHash, mustChangePassword: false }).where("id", "=", user.id).execute();
    const ended = await trx.deleteFrom("userSessions").where("userId", "=", user.id).where("id", "!=", o.sessionId).returning("id").execute();
    if (ended.length > 0) announceOnCommit(trx, { kind: "sessions", user_id: user.id });
    await appendEvents(trx, [
      {
        type: "user.password_changed",
        actor: `user:${user.id}`,
        data: { user_id: user.id, email: user.email, was_one_time: user.mustChangePassword, sessions_ended: ended.length },
      },
    ]);
  });
}
