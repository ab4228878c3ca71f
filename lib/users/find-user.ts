import "server-only";
import type { Trx } from "../db.ts";
import { AppError } from "../errors.ts";
import { isId } from "../ids.ts";

/** A user named by id (`usr_…`) or by email. */
export type UserRef = { userId: string } | { email: string };

/** Reads the user and locks the row until the transaction ends. */
export async function lockUser(trx: Trx, ref: UserRef) {
  const user =
    "userId" in ref && !isId("usr", ref.userId)
      ? undefined
      : await trx
          .selectFrom("users")
          .selectAll()
          .where("userId" in ref ? "id" : "email", "=", "userId" in ref ? ref.userId : ref.email.trim().toLowerCase())
          .forUpdate()
          .executeTakeFirst();
  if (!user) throw new AppError("not_found", "userId" in ref ? "no such user" : `no user with email ${ref.email.trim().toLowerCase()}`);
  return user;
}

/**
 * Refuses a change that would leave no enabled admin: nobody could then run
 * the console. Admin rows are locked first so two concurrent demotions of
 * the last two admins cannot both pass.
 */
export async function assertAnotherAdmin(trx: Trx, userId: string): Promise<void> {
  const others = await trx
    .selectFrom("users")
    .select("id")
    .where("role", "=", "admin")
    .where("disabled", "=", false)
    .where("id", "<>", userId)
    .forUpdate()
    .execute();
  if (others.length === 0) throw new AppError("conflict", "this is the last enabled admin; make someone else an admin first");
}
