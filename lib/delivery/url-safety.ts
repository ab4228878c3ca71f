import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { isIP } from "node:net";

/**
 * Where Countersign may send webhooks (server-side request forgery guard).
 *
 * - `https://` anywhere, except link-local addresses (169.254.0.0/16, fe80::/10,
 *   which hold cloud metadata services such as 169.254.169.254), the
 *   unspecified address and IPv4-mapped forms of those;
 * - `http://` only to localhost, 127.0.0.1 or ::1, and only when
 *   COUNTERSIGN_ALLOW_HTTP_WEBHOOKS=true or NODE_ENV is not production.
 *
 * The check runs when an endpoint is saved and again on every connection,
 * against the addresses DNS actually returns (the lookup is pinned into the
 * socket), so a name that later resolves to a metadata address is refused too.
 * Private networks (10/8, 192.168/16 …) stay allowed: self-hosted chat and
 * SIEM tools live there.
 */
export function blockedAddress(address: string): string | null {
  const v4 = address.startsWith("::ffff:") && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
  if (isIP(v4) === 4) {
    const [a, b] = v4.split(".").map(Number);
    if (a === 169 && b === 254) return "link-local and cloud metadata addresses (169.254.0.0/16) are refused";
    if (a === 0) return "the unspecified address is refused";
    return null;
  }
  if (isIP(address) === 6) {
    const lower = address.toLowerCase();
    if (/^fe[89ab]/.test(lower)) return "link-local addresses (fe80::/10) are refused";
    if (lower === "::" || lower === "::0") return "the unspecified address is refused";
    if (lower === "fd00:ec2::254") return "cloud metadata addresses are refused";
    return null;
  }
  return null;
}

const LOCAL_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]", "::1"]);

/** Why `raw` may not receive webhooks, or null when it may. */
export function urlProblem(raw: string, allowHttp: boolean): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return "must be an absolute URL";
  }
  if (url.username || url.password) return "must not contain credentials";
  if (url.protocol === "http:") {
    if (!LOCAL_HOSTS.has(url.hostname)) return "must use https (plain http is allowed only to localhost)";
    if (!allowHttp) return "must use https (set COUNTERSIGN_ALLOW_HTTP_WEBHOOKS=true to allow http to localhost)";
  } else if (url.protocol !== "https:") {
    return "must use https";
  }
  const host = url.hostname.replace(/^\[|\]$/g, "");
  return isIP(host) ? blockedAddress(host) : null;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** A `lookup` for sockets that refuses blocked addresses after resolving. */
export function guardedLookup(hostname: string, options: object, callback: LookupCallback): void {
  dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, []);
    const list = addresses as LookupAddress[];
    for (const a of list) {
      const problem = blockedAddress(a.address);
      if (problem) return callback(Object.assign(new Error(`${hostname} resolves to ${a.address}: ${problem}`), { code: "EBLOCKED" }), []);
    }
    if ((options as { all?: boolean }).all) return callback(null, list);
    callback(null, list[0].address, list[0].family);
  });
}
