import "server-only";
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { sql } from "kysely";
import { db, transact } from "../db.ts";
import { randomSecret } from "../ids.ts";
import { seal, unseal } from "../sealing.ts";

export interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

const cache = new Map<string, SigningKey>();
let active: Promise<SigningKey> | undefined;

function toSigningKey(kid: string, sealed: string): SigningKey {
  const privateKey = createPrivateKey({ key: unseal("grant-signing-key-v1", sealed), format: "der", type: "pkcs8" });
  return { kid, privateKey, publicKey: createPublicKey(privateKey) };
}

/**
 * The key new grants are signed with: created on first use and kept in the
 * database (private half encrypted), so every app instance signs with the
 * same key. An advisory lock stops two instances creating two keys at once.
 */
export function activeSigningKey(): Promise<SigningKey> {
  active ??= loadOrCreate().catch((err) => {
    active = undefined;
    throw err;
  });
  return active;
}

async function loadOrCreate(): Promise<SigningKey> {
  return transact(async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(hashtext('countersign.signing_key'))`.execute(trx);
    const row = await trx
      .selectFrom("signingKeys")
      .select(["kid", "privateKeyEnc"])
      .where("retiredAt", "is", null)
      .orderBy("createdAt", "desc")
      .limit(1)
      .executeTakeFirst();
    if (row) return remember(toSigningKey(row.kid, row.privateKeyEnc));
    const { privateKey, publicKey } = generateKeyPairSync("ed25519");
    const kid = `k_${randomSecret(12)}`;
    const jwk = { ...publicKey.export({ format: "jwk" }), kid, alg: "EdDSA", use: "sig" };
    const sealed = seal("grant-signing-key-v1", privateKey.export({ format: "der", type: "pkcs8" }));
    await trx
      .insertInto("signingKeys")
      .values({ kid, publicJwk: JSON.stringify(jwk), privateKeyEnc: sealed })
      .execute();
    return remember({ kid, privateKey, publicKey });
  });
}

function remember(key: SigningKey): SigningKey {
  cache.set(key.kid, key);
  return key;
}

/** Any key that signed grants, retired or not, for re-issuing and verifying. */
export async function signingKeyById(kid: string): Promise<SigningKey | null> {
  const hit = cache.get(kid);
  if (hit) return hit;
  const row = await db().selectFrom("signingKeys").select(["kid", "privateKeyEnc"]).where("kid", "=", kid).executeTakeFirst();
  return row ? remember(toSigningKey(row.kid, row.privateKeyEnc)) : null;
}

/** Retired keys stay published this long after retirement: longer than any grant lives. */
const RETIRED_KEY_GRACE_MS = 24 * 3600 * 1000;

export async function publicJwks(): Promise<{ keys: unknown[] }> {
  const rows = await db()
    .selectFrom("signingKeys")
    .select("publicJwk")
    .where((eb) => eb.or([eb("retiredAt", "is", null), eb("retiredAt", ">", new Date(Date.now() - RETIRED_KEY_GRACE_MS))]))
    .orderBy("createdAt", "desc")
    .execute();
  return { keys: rows.map((r) => r.publicJwk) };
}
