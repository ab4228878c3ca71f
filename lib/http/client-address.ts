import "server-only";
import ipaddr from "ipaddr.js";
import { env } from "../env.ts";

/** Set by the Countersign server from the socket (overwriting anything a client sent). */
export const CLIENT_ADDRESS_HEADER = "x-countersign-client-address";

/**
 * The caller's address, from the socket (`CLIENT_ADDRESS_HEADER`), so it
 * cannot be spoofed. Behind a trusted proxy (COUNTERSIGN_TRUST_PROXY) it is
 * the last `X-Forwarded-For` entry, the one that proxy appended: earlier
 * entries are whatever the client sent, and would let it pick a fresh
 * address for every attempt. IPv4-mapped IPv6 (`::ffff:192.0.2.1`) is given
 * as the IPv4 address it is.
 */
export function clientAddress(headers: Headers): string {
  const forwarded = env().COUNTERSIGN_TRUST_PROXY ? headers.get("x-forwarded-for")?.split(",").at(-1)?.trim() : undefined;
  const raw = forwarded || headers.get(CLIENT_ADDRESS_HEADER);
  if (!raw || !ipaddr.isValid(raw)) return "unknown";
  return ipaddr.process(raw).toString();
}

/**
 * The key a per-source limit counts under: the IPv4 address, or the /64 an
 * IPv6 address is in (one subscriber usually holds a whole /64, so counting
 * single IPv6 addresses would let one attacker rotate through billions).
 */
export function addressBucket(address: string): string {
  if (!ipaddr.isValid(address)) return address;
  const parsed = ipaddr.process(address);
  if (parsed.kind() === "ipv4") return parsed.toString();
  const parts = (parsed as ipaddr.IPv6).parts.slice(0, 4);
  return `${parts.map((p) => p.toString(16)).join(":")}::/64`;
}
