import { listAdminTokens } from "@/lib/admin-tokens/admin-tokens";
import { oidcEnabled } from "@/lib/auth/config";
import { json, readBody } from "@/lib/http/body";
import { withSession } from "@/lib/http/with-session";
import { getSsoDefaultRole, setSsoDefaultRole } from "@/lib/settings/sso-default-role";
import { SsoSettingsBody } from "@/lib/schemas/admin";

const iso = (d: Date | null) => d?.toISOString() ?? null;

/** Access settings: single sign-on's default role and the admin API tokens (never their secrets). */
export const GET = withSession(["admin", "auditor"], async () => {
  const tokens = await listAdminTokens();
  return json({
    sso: { enabled: oidcEnabled(), default_role: await getSsoDefaultRole() },
    tokens: tokens.map((t) => ({
      id: t.id,
      name: t.name,
      created_by: t.createdBy,
      created_at: t.createdAt.toISOString(),
      last_used_at: iso(t.lastUsedAt),
      revoked_at: iso(t.revokedAt),
    })),
  });
});

export const PUT = withSession(["admin"], async (req, { user }) => {
  const body = await readBody(req, SsoSettingsBody);
  await setSsoDefaultRole({ role: body.default_role, actor: `user:${user.id}` });
  return json({ sso: { enabled: oidcEnabled(), default_role: body.default_role } });
});
