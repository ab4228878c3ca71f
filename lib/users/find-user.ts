import "server-only";
import type { Tx } from "../db.ts";
import { AppError } from "../errors.ts";
import { isId } from "../ids.ts";

/** A user named by id (`usr_…`) or by email. */
export type UserRef = { userId: string } | { email: string };

/** Reads the user and locks the row until the transaction ends. */
export async function lockUser(tx: Tx, ref: UserRef) {
  const rows =
    "userId" in ref
      ? isId("usr", ref.userId)
        ? await tx.$queryRaw<{ id: string }[]>`SELECT id FROM users WHERE id = ${ref.userId} FOR UPDATE`
        : []
      : await tx.$queryRaw<{ id: string }[]>`SELECT id FROM users WHERE email = ${ref.email.trim().toLowerCase()} FOR UPDATE`;
  if (!rows[0]) throw new AppError("not_found", "userId" in ref ? "no such user" : `no user with email ${ref.email.trim().toLowerCase()}`);
  return tx.user.findUniqueOrThrow({ where: { id: rows[0].id } });
}

/**
 * Refuses a change that would leave no enabled admin: nobody could then run
 * the console. Admin rows are locked first so two concurrent demotions of
 * the last two admins cannot both pass.
 */
export async function assertAnotherAdmin(tx: Tx, userId: string): Promise<void> {
  const others = await tx.$queryRaw<{ id: string }[]>`
    SELECT id FROM users WHERE role = 'admin' AND NOT disabled AND id <> ${userId} FOR UPDATE`;
  if (others.length === 0) throw new AppError("conflict", "this is the last enabled admin; make someone else an admin first");
}
