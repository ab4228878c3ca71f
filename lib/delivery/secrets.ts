import "server-only";
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";
import { env } from "../env.ts";

/**
 * Webhook secrets in the Standard Webhooks format: `whsec_` and the base64 of
 * 32 random bytes. They must be usable to sign, so they are kept sealed
 * (AES-256-GCM under a key derived from COUNTERSIGN_KEY_SECRET, as the grant
 * signing key is) and shown in clear only when created or rotated.
 */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString("base64")}`;
}

function sealingKey(): Buffer {
  const secret = env().COUNTERSIGN_KEY_SECRET ?? env().AUTH_SECRET;
  if (!secret) throw new Error("AUTH_SECRET (or COUNTERSIGN_KEY_SECRET) is required to protect webhook secrets");
  return Buffer.from(hkdfSync("sha256", secret, "countersign", "webhook-secret-v1", 32));
}

export function sealSecret(plain: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", sealingKey(), iv);
  const body = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
  return ["v1", iv.toString("base64url"), cipher.getAuthTag().toString("base64url"), body.toString("base64url")].join(".");
}

export function unsealSecret(sealed: string): string {
  const [version, iv, tag, body] = sealed.split(".");
  if (version !== "v1") throw new Error("unknown sealed secret format");
  const decipher = createDecipheriv("aes-256-gcm", sealingKey(), Buffer.from(iv, "base64url"));
  decipher.setAuthTag(Buffer.from(tag, "base64url"));
  return Buffer.concat([decipher.update(Buffer.from(body, "base64url")), decipher.final()]).toString("utf8");
}
