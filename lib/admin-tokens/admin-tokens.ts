import "server-only";
import { appendEvent } from "../audit/append-event.ts";
import { safeEqual, sha256Hex } from "../crypto.ts";
import { prisma, pool } from "../db.ts";
import { AppError } from "../errors.ts";
import { randomSecret } from "../ids.ts";

/**
 * Admin API tokens (`csa_<id>_<secret>`) for automation such as applying
 * policy from CI. Only the SHA-256 of the secret is stored (it is 32 random
 * bytes, so a fast hash is enough); the token is shown once.
 */

const TOKEN_PATTERN = /^csa_([A-Za-z0-9]{12,32})_([A-Za-z0-9]{40,100})$/;
const DUMMY_HASH = sha256Hex("countersign-dummy-admin-secret");
const TOUCH_INTERVAL_MS = 30_000;
const UNAUTHENTICATED = "a valid admin token is required";

export interface AdminTokenPrincipal {
  id: string;
  name: string;
}

export function parseAdminToken(token: string): { id: string; secret: string } | null {
  const m = TOKEN_PATTERN.exec(token);
  return m ? { id: m[1], secret: m[2] } : null;
}

export async function createAdminToken(o: { name: string; actor: string }): Promise<{ tokenId: string; token: string }> {
  const name = o.name.trim();
  if (!name || name.length > 100)
    throw new AppError("validation_failed", "a token name of 1 to 100 characters is required", { errors: [{ path: "name", message: "1 to 100 characters" }] });
  const id = randomSecret(9);
  const secret = randomSecret(32);
  await prisma().$transaction(async (tx) => {
    await tx.adminToken.create({ data: { id, name, secretHash: sha256Hex(secret), createdBy: o.actor } });
    await appendEvent(tx, { type: "admin_token.created", actor: o.actor, data: { token_id: id, name } });
  });
  return { tokenId: id, token: `csa_${id}_${secret}` };
}

export async function revokeAdminToken(o: { tokenId: string; actor: string }): Promise<void> {
  await prisma().$transaction(async (tx) => {
    const token = await tx.adminToken.findUnique({ where: { id: o.tokenId } });
    if (!token) throw new AppError("not_found", "no such admin token");
    if (token.revokedAt) return;
    await tx.adminToken.update({ where: { id: token.id }, data: { revokedAt: new Date() } });
    await appendEvent(tx, { type: "admin_token.revoked", actor: o.actor, data: { token_id: token.id, name: token.name } });
  });
}

export async function listAdminTokens() {
  return prisma().adminToken.findMany({
    orderBy: { createdAt: "desc" },
    select: { id: true, name: true, createdBy: true, createdAt: true, lastUsedAt: true, revokedAt: true },
  });
}

/**
 * Resolves a `csa_…` token. Malformed, unknown and revoked tokens fail alike
 * (401), after the same hash comparison, so nothing is learnt about which exist.
 */
export async function authenticateAdminToken(token: string): Promise<AdminTokenPrincipal> {
  const parsed = parseAdminToken(token);
  const { rows } = parsed
    ? await pool().query({
        name: "cs_admin_token",
        text: "SELECT id, name, secret_hash, revoked_at, last_used_at FROM admin_tokens WHERE id = $1",
        values: [parsed.id],
      })
    : { rows: [] };
  const row = rows[0] as { id: string; name: string; secret_hash: string; revoked_at: Date | null; last_used_at: Date | null } | undefined;
  const matches = safeEqual(row?.secret_hash ?? DUMMY_HASH, sha256Hex(parsed?.secret ?? ""));
  if (!row || !matches || row.revoked_at) throw new AppError("unauthenticated", UNAUTHENTICATED);
  const now = Date.now();
  if (!row.last_used_at || now - row.last_used_at.getTime() > TOUCH_INTERVAL_MS) {
    void pool()
      .query("UPDATE admin_tokens SET last_used_at = now() WHERE id = $1", [row.id])
      .catch(() => {});
  }
  return { id: row.id, name: row.name };
}
