import "server-only";
import { randomBytes } from "node:crypto";

/**
 * A webhook secret in the Standard Webhooks format: `whsec_` and the base64
 * of 32 random bytes. It must be usable to sign, so it is kept sealed
 * (`seal("webhook-secret-v1", …)`, lib/sealing.ts) and shown in clear only
 * when created or rotated.
 */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString("base64")}`;
}
