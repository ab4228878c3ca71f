import "server-only";
import { sql } from "kysely";
import { db } from "../db.ts";

export type UserSummary = Awaited<ReturnType<typeof listUsers>>[number];

/** Every account, by email, with its reviewer groups. Never the password hash. */
export async function listUsers() {
  const users = await db()
    .selectFrom("users as u")
    .select((eb) => [
      "u.id",
      "u.email",
      "u.name",
      "u.role",
      "u.disabled",
      // Local accounts have a password; SSO-only accounts do not.
      eb("u.passwordHash", "is not", null).$castTo<boolean>().as("hasPassword"),
      "u.createdAt",
      "u.lastSignInAt",
      sql<string[]>`array(${eb
        .selectFrom("groupMembers as m")
        .innerJoin("groups as g", "g.id", "m.groupId")
        .select("g.name")
        .whereRef("m.userId", "=", "u.id")})`.as("groups"),
    ])
    .orderBy("u.email")
    .execute();
  for (const u of users) u.groups.sort();
  return users;
}
