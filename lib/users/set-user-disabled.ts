import { appendEvent } from "../audit/append-event.ts";
import { db } from "../db.ts";
import { AppError } from "../errors.ts";

export interface SetUserDisabledOptions {
  email: string;
  disabled: boolean;
  actor: string;
}

/**
 * Disables (or re-enables) an account. Disabling also bumps the session
 * version, so every session the user holds stops working at its next request.
 */
export async function setUserDisabled(o: SetUserDisabledOptions): Promise<void> {
  const email = o.email.trim().toLowerCase();
  await db().$transaction(async (tx) => {
    const user = await tx.user.findUnique({ where: { email } });
    if (!user) throw new AppError("not_found", `no user with email ${email}`);
    await tx.user.update({
      where: { id: user.id },
      data: { disabled: o.disabled, sessionVersion: o.disabled ? { increment: 1 } : undefined },
    });
    await appendEvent(tx, {
      type: o.disabled ? "user.disabled" : "user.enabled",
      actor: o.actor,
      data: { user_id: user.id, email, before: { disabled: user.disabled }, after: { disabled: o.disabled } },
    });
  });
}
