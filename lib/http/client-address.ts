import { env } from "../env.ts";

/**
 * The header the Countersign server (lib/runtime/server.ts, agent-api-server.ts)
 * writes the socket address into, replacing whatever a client sent under that name.
 */
export const CLIENT_ADDRESS_HEADER = "x-countersign-client-address";

/**
 * The caller's address: the socket's, or, behind a proxy explicitly trusted
 * (`COUNTERSIGN_TRUST_PROXY`), the one that proxy appended to
 * `X-Forwarded-For`: the last entry, since every earlier one came from the
 * client and can say anything.
 */
export function clientAddress(headers: Headers): string {
  if (env().COUNTERSIGN_TRUST_PROXY) {
    const forwarded = headers.get("x-forwarded-for")?.split(",").at(-1)?.trim();
    if (forwarded) return forwarded;
  }
  return headers.get(CLIENT_ADDRESS_HEADER) ?? "unknown";
}
