import "server-only";
import { appendEvents } from "../audit/append-event.ts";
import { transact } from "../db.ts";
import { AppError } from "../errors.ts";
import { newId, randomSecret } from "../ids.ts";
import { hashPassword } from "./passwords.ts";

import type { Role } from "./roles.ts";

export interface CreateUserOptions {
  email: string;
  role: Role;
  name?: string | null;
  /** Omit to generate one (returned once). Null for SSO-only accounts. */
  password?: string | null;
  actor: string;
  /** The password is one-time (invite, first admin): the user must choose their own at first sign-in. */
  mustChangePassword?: boolean;
}

const EMAIL = /^[^\s@]+@[^\s@]+$/;

export async function createUser(options: CreateUserOptions): Promise<{ userId: string; password: string | null }> {
  const email = options.email.trim().toLowerCase();
  if (!EMAIL.test(email) || email.length > 320) {
    throw new AppError("validation_failed", "a valid email is required", { errors: [{ path: "email", message: "invalid email" }] });
  }
  const password = options.password === undefined ? randomSecret(15) : options.password;
  if (password !== null && password.length < 12) {
    throw new AppError("validation_failed", "passwords need at least 12 characters", {
      errors: [{ path: "password", message: "too short" }],
    });
  }
  const passwordHash = password === null ? null : await hashPassword(password);
  const userId = newId("usr");
  await transact(async (trx) => {
    if (await trx.selectFrom("users").select("id").where("email", "=", email).executeTakeFirst()) {
      throw new AppError("conflict", `a user with email ${email} already exists`);
    }
    await trx
      .insertInto("users")
      .values({
        id: userId,
        email,
        name: options.name ?? null,
        role: options.role,
        passwordHash,
        mustChangePassword: passwordHash !== null && options.mustChangePassword === true,
      })
      .execute();
    await appendEvents(trx, [{ type: "user.created", actor: options.actor, data: { user_id: userId, email, role: options.role } }]);
  });
  return { userId, password: options.password === undefined ? password : null };
}
