import "server-only";
import { sql } from "kysely";
import { appendEvents } from "../audit/append-event.ts";
import { safeEqual, sha256Hex } from "../crypto.ts";
import { db, transact } from "../db.ts";
import { AppError } from "../errors.ts";
import { randomSecret } from "../ids.ts";
import { type AdminScope, normalizeScopes } from "./scopes.ts";

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
  scopes: string[];
}

export function parseAdminToken(token: string): { id: string; secret: string } | null {
  const m = TOKEN_PATTERN.exec(token);
  return m ? { id: m[1], secret: m[2] } : null;
}

/** A new token with `scopes` (none: `admin`, everything); its creation is audited with the scopes. */
export async function createAdminToken(o: {
  name: string;
  scopes?: readonly string[];
  actor: string;
}): Promise<{ tokenId: string; token: string; scopes: AdminScope[] }> {
  const name = o.name.trim();
  if (!name || name.length > 100)
    throw new AppError("validation_failed", "a token name of 1 to 100 characters is required", { errors: [{ path: "name", message: "1 to 100 characters" }] });
  const checked = normalizeScopes(o.scopes);
  if ("unknown" in checked)
    throw new AppError("validation_failed", `unknown scope: ${checked.unknown.join(", ")}`, {
      errors: checked.unknown.map((s) => ({ path: "scopes", message: `unknown scope ${JSON.stringify(s).slice(0, 80)}` })),
    });
  const { scopes } = checked;
  const id = randomSecret(9);
  const secret = randomSecret(32);
  await transact(async (trx) => {
    await trx
      .insertInto("adminTokens")
      .values({ id, name, secretHash: sha256Hex(secret), createdBy: o.actor, scopes })
      .execute();
    await appendEvents(trx, [{ type: "admin_token.created", actor: o.actor, data: { token_id: id, name, scopes } }]);
  });
  return { tokenId: id, token: `csa_${id}_${secret}`, scopes };
}

/** Revokes a token; revoking a revoked token changes nothing (of two racing revocations, one records the event). */
export async function revokeAdminToken(o: { tokenId: string; actor: string }): Promise<void> {
  await transact(async (trx) => {
    const revoked = await trx
      .updateTable("adminTokens")
      .set({ revokedAt: new Date() })
      .where("id", "=", o.tokenId)
      .where("revokedAt", "is", null)
      .returning(["id", "name"])
      .executeTakeFirst();
    if (!revoked) {
      const exists = await trx.selectFrom("adminTokens").select("id").where("id", "=", o.tokenId).executeTakeFirst();
      if (!exists) throw new AppError("not_found", "no such admin token");
      return;
    }
    await appendEvents(trx, [{ type: "admin_token.revoked", actor: o.actor, data: { token_id: revoked.id, name: revoked.name } }]);
  });
}

export function listAdminTokens() {
  return db()
    .selectFrom("adminTokens")
    .select(["id", "name", "scopes", "createdBy", "createdAt", "lastUsedAt", "revokedAt"])
    .orderBy("createdAt", "desc")
    .execute();
}

/**
 * Resolves a `csa_…` token. Malformed, unknown and revoked tokens fail alike
 * (401), after the same hash comparison, so nothing is learnt about which exist.
 */
export async function authenticateAdminToken(token: string): Promise<AdminTokenPrincipal> {
  const parsed = parseAdminToken(token);
  const row = parsed
    ? await db()
        .selectFrom("adminTokens")
        .select(["id", "name", "scopes", "secretHash", "revokedAt", "lastUsedAt"])
        .where("id", "=", parsed.id)
        .executeTakeFirst()
    : undefined;
  const matches = safeEqual(row?.secretHash ?? DUMMY_HASH, sha256Hex(parsed?.secret ?? ""));
  if (!row || !matches || row.revokedAt) throw new AppError("unauthenticated", UNAUTHENTICATED);
  const now = Date.now();
  if (!row.lastUsedAt || now - row.lastUsedAt.getTime() > TOUCH_INTERVAL_MS) {
    void db()
      .updateTable("adminTokens")
      .set({ lastUsedAt: sql<Date>`now()` })
      .where("id", "=", row.id)
      .execute()
      .catch(() => {});
  }
  return { id: row.id, name: row.name, scopes: row.scopes };
}
