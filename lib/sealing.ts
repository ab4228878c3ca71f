import "server-only";
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";
import { env } from "./env.ts";

/**
 * What a sealed value is for. Each purpose has its own key (the HKDF info
 * string), so a value sealed for one cannot be unsealed as another. The names
 * are part of the stored format: never rename one.
 */
export type SealPurpose = "grant-signing-key-v1" | "webhook-secret-v1";

function key(purpose: SealPurpose): Buffer {
  const secret = env().COUNTERSIGN_KEY_SECRET ?? env().AUTH_SECRET;
  if (!secret) throw new Error("AUTH_SECRET (or COUNTERSIGN_KEY_SECRET) is required to protect stored secrets");
  return Buffer.from(hkdfSync("sha256", secret, "countersign", purpose, 32));
}

/**
 * Seals a secret the app must be able to use again (the grant signing key,
 * webhook and callback signing secrets): AES-256-GCM under a key derived from
 * COUNTERSIGN_KEY_SECRET (else AUTH_SECRET). The result is
 * `v1.<iv>.<tag>.<ciphertext>`, each part base64url.
 */
export function seal(purpose: SealPurpose, plain: string | Buffer): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key(purpose), iv);
  const body = Buffer.concat([cipher.update(typeof plain === "string" ? Buffer.from(plain, "utf8") : plain), cipher.final()]);
  return ["v1", iv.toString("base64url"), cipher.getAuthTag().toString("base64url"), body.toString("base64url")].join(".");
}

/** Opens what seal() made for the same purpose; throws when it was altered or sealed under another key or purpose. */
export function unseal(purpose: SealPurpose, sealed: string): Buffer {
  const [version, iv, tag, body] = sealed.split(".");
  if (version !== "v1" || tag === undefined || body === undefined) throw new Error("unknown sealed secret format");
  const decipher = createDecipheriv("aes-256-gcm", key(purpose), Buffer.from(iv, "base64url"));
  decipher.setAuthTag(Buffer.from(tag, "base64url"));
  return Buffer.concat([decipher.update(Buffer.from(body, "base64url")), decipher.final()]);
}
