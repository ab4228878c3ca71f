import "server-only";
import { appendEvents } from "../audit/append-event.ts";
import { db, transact } from "../db.ts";
import { env } from "../env.ts";
import { isRole, type Role } from "../users/roles.ts";

const KEY = "auth.sso_default_role";

/** The role an SSO user gets on first sign-in: set by an admin, else `COUNTERSIGN_OIDC_DEFAULT_ROLE`. */
export async function getSsoDefaultRole(): Promise<Role> {
  const row = await db().selectFrom("settings").select("value").where("key", "=", KEY).executeTakeFirst();
  const value = row?.value;
  return isRole(value) ? value : env().COUNTERSIGN_OIDC_DEFAULT_ROLE;
}

export async function setSsoDefaultRole(o: { role: Role; actor: string }): Promise<void> {
  const before = await getSsoDefaultRole();
  // A jsonb column: the role is stored as a JSON string.
  const value = JSON.stringify(o.role);
  await transact(async (trx) => {
    await trx
      .insertInto("settings")
      .values({ key: KEY, value })
      .onConflict((oc) => oc.column("key").doUpdateSet({ value, updatedAt: new Date() }))
      .execute();
    await appendEvents(trx, [{ type: "settings.sso_default_role_changed", actor: o.actor, data: { before: { role: before }, after: { role: o.role } } }]);
  });
}
