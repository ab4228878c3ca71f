import "server-only";
import { appendEvent } from "../audit/append-event.ts";
import { prisma } from "../db.ts";
import { env } from "../env.ts";
import { isRole, type Role } from "../users/roles.ts";

const KEY = "auth.sso_default_role";

/** The role an SSO user gets on first sign-in: set by an admin, else `COUNTERSIGN_OIDC_DEFAULT_ROLE`. */
export async function getSsoDefaultRole(): Promise<Role> {
  const row = await prisma().setting.findUnique({ where: { key: KEY } });
  const value = row?.value;
  return isRole(value) ? value : env().COUNTERSIGN_OIDC_DEFAULT_ROLE;
}

export async function setSsoDefaultRole(o: { role: Role; actor: string }): Promise<void> {
  const before = await getSsoDefaultRole();
  await prisma().$transaction(async (tx) => {
    await tx.setting.upsert({ where: { key: KEY }, create: { key: KEY, value: o.role }, update: { value: o.role, updatedAt: new Date() } });
    await appendEvent(tx, { type: "settings.sso_default_role_changed", actor: o.actor, data: { before: { role: before }, after: { role: o.role } } });
  });
}
