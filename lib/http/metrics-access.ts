import "server-only";
import ipaddr from "ipaddr.js";
import { safeEqual } from "../crypto.ts";

export type MetricsAccess = "allow" | "disabled" | "unauthenticated" | "forbidden";

export interface MetricsAccessInput {
  /** `COUNTERSIGN_METRICS`. */
  enabled: boolean;
  /** `COUNTERSIGN_METRICS_TOKEN`, when set. */
  token: string | undefined;
  /** The caller's address (lib/http/client-address.ts: the socket's, never a client-sent header). */
  address: string;
  /** The `Authorization` header, if any. */
  authorization: string | null;
}

/** Whether `address` is a loopback address (127.0.0.0/8, ::1, and IPv4-mapped forms of them). */
export function isLoopback(address: string): boolean {
  try {
    return ipaddr.process(address).range() === "loopback";
  } catch {
    return false;
  }
}

/**
 * Who may read `/api/metrics` (process facts such as the Node version, and
 * traffic): by default only clients on this machine; from elsewhere only with
 * the configured bearer token, compared in constant time. A token that is
 * presented must be right, from anywhere.
 */
export function metricsAccess(o: MetricsAccessInput): MetricsAccess {
  if (!o.enabled) return "disabled";
  if (o.authorization !== null) {
    const given = /^Bearer\s+(\S+)$/i.exec(o.authorization)?.[1];
    return o.token && given !== undefined && safeEqual(given, o.token) ? "allow" : "unauthenticated";
  }
  if (isLoopback(o.address)) return "allow";
  return o.token ? "unauthenticated" : "forbidden";
}
