import "server-only";
import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import ipaddr from "ipaddr.js";

/**
 * The one address policy for every outbound connection Countersign makes
 * (webhooks, agent callbacks, SIEM over HTTPS/TCP/UDP, SMTP): a server-side
 * request forgery guard. Addresses are parsed with ipaddr.js in any spelling;
 * an IPv4 address embedded in IPv6 (mapped `::ffff:a.b.c.d`, compatible
 * `::a.b.c.d`, SIIT `::ffff:0:a.b.c.d`, NAT64 `64:ff9b::/96`, 6to4
 * `2002::/16`) is judged as that IPv4 address.
 *
 * - Always refused: link-local (169.254/16, fe80::/10: cloud metadata), cloud
 *   platform addresses (fd00:ec2::254, 100.100.100.200, 168.63.129.16),
 *   unspecified, broadcast, multicast, reserved, documentation and
 *   benchmarking ranges, Teredo, local-use NAT64 (64:ff9b:1::/48), and IPv6
 *   outside global unicast (2000::/3) apart from the forms below.
 * - Private, refused unless the policy allows it: loopback (127/8, ::1),
 *   RFC 1918 (10/8, 172.16/12, 192.168/16), unique-local (fc00::/7) and
 *   carrier-grade NAT (100.64/10: shared ISP space, also used by overlay VPNs
 *   and by a cloud metadata service, so never public).
 * - Everything else (public unicast) is allowed.
 *
 * URLs are checked when they are saved or a request is created (the literal
 * host; `localhost` names count as loopback), and every connection is checked
 * again against the addresses DNS answers, through a lookup pinned into the
 * socket, so a name that later resolves elsewhere (DNS rebinding) is refused
 * before connecting. Nothing follows redirects.
 */
export interface OutboundPolicy {
  /** Plain `http://` to loopback (otherwise https only). */
  allowHttp: boolean;
  /** Loopback, private, unique-local and carrier-grade NAT destinations. */
  allowPrivate: boolean;
  /** The setting that allows private destinations, named in refusals. */
  setting: string;
}

type Verdict = { kind: "public" } | { kind: "private" | "blocked"; reason: string };

const ALWAYS_REFUSED_V4: Record<string, string> = {
  unspecified: "the unspecified range (0.0.0.0/8)",
  broadcast: "the broadcast address",
  multicast: "multicast",
  linkLocal: "link-local (169.254.0.0/16, where cloud metadata services live)",
  reserved: "a reserved, documentation or benchmarking range",
  as112: "an AS112 range",
  amt: "an AMT relay range",
};
const PRIVATE_V4: Record<string, string> = {
  loopback: "loopback",
  private: "a private network (RFC 1918)",
  carrierGradeNat: "carrier-grade NAT space (100.64.0.0/10)",
};
/** Cloud platform services (Alibaba metadata, Azure wire server, AWS IPv6 metadata): refused even where private destinations are allowed. */
const CLOUD_PLATFORM = ["100.100.100.200/32", "168.63.129.16/32", "fd00:ec2::254/128"].map((c) => ipaddr.parseCIDR(c));
const isCloudPlatform = (a: ipaddr.IPv4 | ipaddr.IPv6) => CLOUD_PLATFORM.some(([net, bits]) => net.kind() === a.kind() && a.match(net, bits));

const GLOBAL_UNICAST = ipaddr.parseCIDR("2000::/3");
const NAT64_LOCAL = ipaddr.parseCIDR("64:ff9b:1::/48");

function v4From(parts: number[], hi: number): ipaddr.IPv4 {
  return new ipaddr.IPv4([parts[hi] >> 8, parts[hi] & 0xff, parts[hi + 1] >> 8, parts[hi + 1] & 0xff]);
}

/** The IPv4 address an IPv6 address stands for, when it embeds one. */
function embeddedV4(a: ipaddr.IPv6): ipaddr.IPv4 | null {
  const p = a.parts;
  switch (a.range()) {
    case "ipv4Mapped":
    case "rfc6145":
      return v4From(p, 6);
    case "rfc6052":
      return a.match(NAT64_LOCAL) ? null : v4From(p, 6);
    case "6to4":
      return v4From(p, 1);
  }
  // IPv4-compatible ::a.b.c.d (deprecated, but still routed to IPv4 by some stacks).
  if (p.slice(0, 6).every((x) => x === 0) && (p[6] !== 0 || p[7] > 1)) return v4From(p, 6);
  return null;
}

function classifyV4(a: ipaddr.IPv4, shown: string): Verdict {
  const range = a.range();
  if (isCloudPlatform(a)) return { kind: "blocked", reason: `${shown} is a cloud platform service address` };
  if (range === "unicast") return { kind: "public" };
  if (PRIVATE_V4[range]) return { kind: "private", reason: `${shown} is ${PRIVATE_V4[range]}` };
  return { kind: "blocked", reason: `${shown} is ${ALWAYS_REFUSED_V4[range] ?? range}` };
}

function classify(address: string): Verdict | null {
  const bare = address.replace(/^\[|\]$/g, "");
  if (!ipaddr.isValid(bare)) return null;
  const a = ipaddr.parse(bare);
  if (a.kind() === "ipv4") return classifyV4(a as ipaddr.IPv4, bare);
  const v6 = a as ipaddr.IPv6;
  const v4 = embeddedV4(v6);
  if (v4) return classifyV4(v4, `${bare} (IPv4 ${v4.toString()})`);
  const range = v6.range();
  if (isCloudPlatform(v6)) return { kind: "blocked", reason: `${bare} is a cloud platform service address` };
  if (range === "loopback") return { kind: "private", reason: `${bare} is loopback` };
  if (range === "uniqueLocal") return { kind: "private", reason: `${bare} is a unique-local address (fc00::/7)` };
  if (range === "unicast" && v6.match(GLOBAL_UNICAST)) return { kind: "public" };
  const names: Record<string, string> = {
    unspecified: "the unspecified address",
    linkLocal: "link-local (fe80::/10)",
    multicast: "multicast",
    teredo: "a Teredo tunnel address",
    rfc6052: "local-use NAT64 (64:ff9b:1::/48)",
  };
  return {
    kind: "blocked",
    reason: `${bare} is ${names[range] ?? (range === "unicast" ? "outside global unicast space (2000::/3)" : `a special-purpose range (${range})`)}`,
  };
}

/** `localhost` and `*.localhost` (RFC 6761), with or without the trailing dot. */
function isLocalhostName(host: string): boolean {
  const h = host.toLowerCase().replace(/\.+$/, "");
  return h === "localhost" || h.endsWith(".localhost");
}

function refusal(v: Verdict, policy: OutboundPolicy): string | null {
  if (v.kind === "public") return null;
  if (v.kind === "private") return policy.allowPrivate ? null : `${v.reason}; private destinations need ${policy.setting}=true`;
  return `${v.reason}, always refused`;
}

/** Why Countersign may not connect to this IP address (any spelling), or null when it may; null for names too. */
export function addressProblem(address: string, policy: OutboundPolicy): string | null {
  const v = classify(address);
  return v && refusal(v, policy);
}

/** A host as the WHATWG URL parser normalises it (IPv4 in decimal, octal or hex becomes dotted; IPv6 compressed), or null when it is not a valid host. */
export function normalizeHost(host: string): string | null {
  try {
    return new URL(`http://${host.includes(":") && !host.startsWith("[") ? `[${host}]` : host}/`).hostname;
  } catch {
    return null;
  }
}

/** The save-time check of a host: an IP literal by the policy, `localhost` names as loopback; other names wait for DNS at connect time. */
export function hostProblem(host: string, policy: OutboundPolicy): string | null {
  const normalized = normalizeHost(host);
  if (normalized === null) return `${host} is not a valid host`;
  if (isLocalhostName(normalized)) return refusal({ kind: "private", reason: `${normalized} is loopback` }, policy);
  return addressProblem(normalized, policy);
}

function isLoopbackHost(hostname: string): boolean {
  if (isLocalhostName(hostname)) return true;
  const bare = hostname.replace(/^\[|\]$/g, "");
  if (!ipaddr.isValid(bare)) return false;
  const a = ipaddr.parse(bare);
  const v4 = a.kind() === "ipv6" ? embeddedV4(a as ipaddr.IPv6) : (a as ipaddr.IPv4);
  return (v4 ?? a).range() === "loopback";
}

/** The scheme and shape of an outbound URL: https, or http to loopback when allowed; no credentials. */
function shapeProblem(url: URL, policy: OutboundPolicy): string | null {
  if (url.username || url.password) return "must not contain credentials";
  if (url.protocol === "http:") {
    if (!isLoopbackHost(url.hostname)) return "must use https (plain http is allowed only to localhost)";
    if (!policy.allowHttp) return "must use https (set COUNTERSIGN_ALLOW_HTTP_WEBHOOKS=true to allow http to localhost)";
  } else if (url.protocol !== "https:") {
    return "must use https";
  }
  return null;
}

/** Why `raw` may not receive deliveries, or null when it may (checked when it is saved or a request carrying it is created). */
export function urlProblem(raw: string, policy: OutboundPolicy): string | null {
  return checkUrl(raw, policy, hostProblem);
}

/**
 * The connect-time check of a URL: its shape, an IP literal host (sockets do
 * not look those up), and nothing for names, which `guardedLookup` checks.
 */
export function connectUrlProblem(raw: string, policy: OutboundPolicy): string | null {
  return checkUrl(raw, policy, addressProblem);
}

function checkUrl(raw: string, policy: OutboundPolicy, host: (hostname: string, policy: OutboundPolicy) => string | null): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return "must be an absolute URL";
  }
  return shapeProblem(url, policy) ?? host(url.hostname, policy);
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;
export type Lookup = (hostname: string, options: object | number, callback: LookupCallback) => void;

/** A refusal raised while connecting; its message starts with "refused:". */
export class RefusedError extends Error {
  readonly code = "EREFUSED_ADDRESS";
}

/**
 * A `lookup` for sockets (net, tls, http) that resolves, then refuses
 * the connection when any answer is not allowed by `policy`. The socket
 * connects to an address this function returned: the check and the
 * connection use the same answer, so DNS cannot change it in between.
 */
export function guardedLookup(policy: OutboundPolicy): Lookup {
  return (hostname, options, callback) => {
    const opts = typeof options === "number" ? { family: options } : (options as { all?: boolean; family?: number });
    dnsLookup(hostname, { ...opts, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      const list = addresses as LookupAddress[];
      for (const a of list) {
        const problem = addressProblem(a.address, policy);
        if (problem) return callback(new RefusedError(`refused: ${hostname} resolves to ${a.address}: ${problem}`), []);
      }
      if (opts.all) return callback(null, list);
      callback(null, list[0].address, list[0].family);
    });
  };
}

/** Resolves `host` (a name or IP literal) to one address the policy allows, for sockets given an address directly (UDP). */
export function resolveChecked(host: string, policy: OutboundPolicy): Promise<LookupAddress> {
  const bare = host.replace(/^\[|\]$/g, "");
  const problem = addressProblem(bare, policy);
  if (problem) return Promise.reject(new RefusedError(`refused: ${problem}`));
  return new Promise((resolve, reject) =>
    guardedLookup(policy)(bare, {}, (err, address, family) => (err ? reject(err) : resolve({ address: address as string, family: family ?? 4 }))),
  );
}
