import { env } from "../env.ts";

/**
 * The caller's address. The Countersign server writes the socket address into
 * `x-countersign-client-address` (overwriting anything a client sent), so the
 * value cannot be spoofed unless a proxy is explicitly trusted.
 */
export function clientAddress(headers: Headers): string {
  if (env().COUNTERSIGN_TRUST_PROXY) {
    const forwarded = headers.get("x-forwarded-for")?.split(",")[0]?.trim();
    if (forwarded) return forwarded;
  }
  return headers.get("x-countersign-client-address") ?? "unknown";
}
