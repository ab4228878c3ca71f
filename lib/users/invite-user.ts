import "server-only";
import { appendEvents } from "../audit/append-event.ts";
import { revokeUserSessions } from "../auth/sessions.ts";
import { transact } from "../db.ts";
import { randomSecret } from "../ids.ts";
import { createUser } from "./create-user.ts";
import type { Role } from "./roles.ts";
import { lockUser, type UserRef } from "./find-user.ts";
import { hashPassword } from "./passwords.ts";

/**
 * The invite flow for local accounts: the admin creates the account and is
 * shown a one-time password once, to hand over out of band. Nothing is sent
 * by email and only the password's hash is kept.
 */
export async function inviteUser(o: { email: string; role: Role; name?: string | null; actor: string }): Promise<{ userId: string; password: string }> {
  const { userId, password } = await createUser({ email: o.email, role: o.role, name: o.name ?? null, actor: o.actor, mustChangePassword: true });
  return { userId, password: password! };
}

/**
 * Sets a new generated password (for a user who lost theirs) and ends every
 * session the user holds. Shown once, like an invitation.
 */
export async function resetUserPassword(o: UserRef & { actor: string }): Promise<{ userId: string; password: string }> {
  const password = randomSecret(15);
  const passwordHash = await hashPassword(password);
  return transact(async (trx) => {
    const user = await lockUser(trx, o);
    await trx.updateTable("users").set({ passwordHash, mustChangePassword: true }).where("id", "=", user.id).execute();
    await revokeUserSessions(trx, user.id);
    await appendEvents(trx, [
      {
        type: "user.password_reset",
        actor: o.actor,
        data: { user_id: user.id, email: user.email, before: { has_password: user.passwordHash !== null }, after: { has_password: true } },
      },
    ]);
    return { userId: user.id, password };
  });
}
