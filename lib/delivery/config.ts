import "server-only";
import { z } from "zod";
import { hostProblem, normalizeHost, urlProblem, type OutboundPolicy } from "./url-safety.ts";

/**
 * Event delivery settings, read from the environment once. Kept apart from
 * lib/env.ts so that a malformed sink address names its own variable.
 *
 * - `COUNTERSIGN_ALLOW_HTTP_WEBHOOKS`: allow plain `http://` to localhost
 *   (always allowed when NODE_ENV is not `production`).
 * - `COUNTERSIGN_OUTBOUND_ALLOW_PRIVATE` (false): webhook endpoints, SIEM
 *   sinks and the SMTP server may be on loopback, private (RFC 1918),
 *   unique-local or carrier-grade NAT addresses. Link-local and metadata
 *   addresses stay refused (lib/delivery/url-safety.ts).
 * - `COUNTERSIGN_ALLOW_PRIVATE_CALLBACKS` (false): the same for the
 *   `callback_url` agents put in their requests.
 * - `COUNTERSIGN_WEBHOOK_MAX_ATTEMPTS` (8): attempts before a delivery is `dead`.
 * - `COUNTERSIGN_WEBHOOK_TIMEOUT_SECONDS` (10): per attempt.
 * - `COUNTERSIGN_DELIVERY_INTERVAL_SECONDS` (5): the safety timer; new request
 *   events wake the dispatcher at once through the notification hub.
 * - `COUNTERSIGN_SIEM_SYSLOG`: `tcp://host:port` or `udp://host:port`.
 * - `COUNTERSIGN_SIEM_HTTPS_URL` + `COUNTERSIGN_SIEM_HTTPS_SECRET` (`whsec_…`).
 * - `COUNTERSIGN_SMTP_URL`: `smtp://user:pass@host:587` (STARTTLS when the
 *   server offers it) or `smtps://…:465`; email is off without it.
 * - `COUNTERSIGN_EMAIL_FROM` ("Countersign <countersign@localhost>").
 * - `COUNTERSIGN_REMINDER_AT` (0.5): the share of a request's wait after
 *   which, still undecided, it is `request.expiring` (reviewers are reminded);
 *   0 turns reminders off.
 * - `COUNTERSIGN_ESCALATION_GROUP` + `COUNTERSIGN_ESCALATE_AT` (0.8): the
 *   reviewer group told when a request is still undecided at that share.
 */
const bool = z
  .enum(["true", "false", "1", "0", ""])
  .transform((v) => v === "true" || v === "1")
  .optional();

const schema = z.object({
  NODE_ENV: z.string().optional(),
  COUNTERSIGN_ALLOW_HTTP_WEBHOOKS: bool,
  COUNTERSIGN_OUTBOUND_ALLOW_PRIVATE: bool,
  COUNTERSIGN_ALLOW_PRIVATE_CALLBACKS: bool,
  COUNTERSIGN_WEBHOOK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(8),
  COUNTERSIGN_WEBHOOK_TIMEOUT_SECONDS: z.coerce.number().min(1).max(120).default(10),
  COUNTERSIGN_DELIVERY_INTERVAL_SECONDS: z.coerce.number().min(0.1).max(3600).default(5),
  COUNTERSIGN_SIEM_SYSLOG: z
    .string()
    .regex(/^(tcp|udp):\/\/[^/:]+:\d{1,5}$/, "must be tcp://host:port or udp://host:port")
    .optional(),
  COUNTERSIGN_SIEM_HTTPS_URL: z.string().url().optional(),
  COUNTERSIGN_SIEM_HTTPS_SECRET: z.string().regex(/^whsec_[A-Za-z0-9+/=]{32,}$/, "must be whsec_ followed by base64 of at least 24 bytes").optional(),
  COUNTERSIGN_SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\/\S+$/, "must be smtp://[user:pass@]host[:port] or smtps://…")
    .optional()
    .or(z.literal("").transform(() => undefined)),
  COUNTERSIGN_EMAIL_FROM: z.string().min(3).max(320).regex(/^[^\r\n]+$/, "must be one line").default("Countersign <countersign@localhost>"),
  COUNTERSIGN_REMINDER_AT: z.coerce.number().min(0).max(0.99).default(0.5),
  COUNTERSIGN_ESCALATE_AT: z.coerce.number().min(0.01).max(0.99).default(0.8),
  COUNTERSIGN_ESCALATION_GROUP: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, "must be a reviewer group name")
    .optional()
    .or(z.literal("").transform(() => undefined)),
});

export interface SyslogSinkConfig {
  kind: "syslog";
  id: string;
  transport: "tcp" | "udp";
  host: string;
  port: number;
}
export interface HttpsSinkConfig {
  kind: "https";
  id: string;
  url: string;
  secret: string;
}
export type SiemSinkConfig = SyslogSinkConfig | HttpsSinkConfig;

export interface EmailConfig {
  smtpUrl: string;
  from: string;
  /** The address policy for the SMTP server (the destinations policy). */
  policy: OutboundPolicy;
}

export interface ReminderConfig {
  /** Share of the wait after which an undecided request is `request.expiring`; null: no reminders. */
  remindAt: number | null;
  /** The group told when a request is still undecided at `escalateAt`; null: no escalation. */
  escalation: { group: string; at: number } | null;
}

export interface DeliveryConfig {
  /** Where admin-configured receivers may be: webhook endpoints, SIEM sinks, SMTP. */
  destinations: OutboundPolicy;
  /** Where the `callback_url` of agents' requests may be. */
  callbacks: OutboundPolicy;
  maxAttempts: number;
  timeoutMs: number;
  intervalMs: number;
  sinks: SiemSinkConfig[];
  /** Null when no SMTP server is configured. */
  email: EmailConfig | null;
  reminders: ReminderConfig;
}

export function parseDeliveryConfig(source: Record<string, string | undefined>): DeliveryConfig {
  const parsed = schema.safeParse(source);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${String(issue.path[0])}: ${issue.message}`);
  }
  const e = parsed.data;
  const allowHttp = e.COUNTERSIGN_ALLOW_HTTP_WEBHOOKS ?? e.NODE_ENV !== "production";
  const destinations: OutboundPolicy = { allowHttp, allowPrivate: e.COUNTERSIGN_OUTBOUND_ALLOW_PRIVATE ?? false, setting: "COUNTERSIGN_OUTBOUND_ALLOW_PRIVATE" };
  const callbacks: OutboundPolicy = { allowHttp, allowPrivate: e.COUNTERSIGN_ALLOW_PRIVATE_CALLBACKS ?? false, setting: "COUNTERSIGN_ALLOW_PRIVATE_CALLBACKS" };
  // Configured receivers are checked here, as a saved endpoint is; their connections are checked again.
  const check = (variable: string, problem: string | null) => {
    if (problem) throw new Error(`${variable}: ${problem}`);
  };
  const sinks: SiemSinkConfig[] = [];
  if (e.COUNTERSIGN_SIEM_SYSLOG) {
    const url = new URL(e.COUNTERSIGN_SIEM_SYSLOG);
    const transport = url.protocol === "tcp:" ? "tcp" : "udp";
    // tcp:// and udp:// are not special schemes: normalise the host as http:// would (2852039166 is 169.254.169.254).
    const host = normalizeHost(url.hostname) ?? url.hostname;
    check("COUNTERSIGN_SIEM_SYSLOG", hostProblem(host, destinations));
    sinks.push({ kind: "syslog", id: `siem:syslog:${transport}://${url.hostname}:${url.port}`, transport, host, port: Number(url.port) });
  }
  if (e.COUNTERSIGN_SIEM_HTTPS_URL) {
    if (!e.COUNTERSIGN_SIEM_HTTPS_SECRET) throw new Error("COUNTERSIGN_SIEM_HTTPS_SECRET: required with COUNTERSIGN_SIEM_HTTPS_URL (whsec_…)");
    check("COUNTERSIGN_SIEM_HTTPS_URL", urlProblem(e.COUNTERSIGN_SIEM_HTTPS_URL, destinations));
    sinks.push({ kind: "https", id: `siem:https:${e.COUNTERSIGN_SIEM_HTTPS_URL}`, url: e.COUNTERSIGN_SIEM_HTTPS_URL, secret: e.COUNTERSIGN_SIEM_HTTPS_SECRET });
  }
  if (e.COUNTERSIGN_SMTP_URL) check("COUNTERSIGN_SMTP_URL", hostProblem(new URL(e.COUNTERSIGN_SMTP_URL).hostname, destinations));
  return {
    destinations,
    callbacks,
    maxAttempts: e.COUNTERSIGN_WEBHOOK_MAX_ATTEMPTS,
    timeoutMs: e.COUNTERSIGN_WEBHOOK_TIMEOUT_SECONDS * 1000,
    intervalMs: e.COUNTERSIGN_DELIVERY_INTERVAL_SECONDS * 1000,
    sinks,
    email: e.COUNTERSIGN_SMTP_URL ? { smtpUrl: e.COUNTERSIGN_SMTP_URL, from: e.COUNTERSIGN_EMAIL_FROM, policy: destinations } : null,
    reminders: {
      remindAt: e.COUNTERSIGN_REMINDER_AT > 0 ? e.COUNTERSIGN_REMINDER_AT : null,
      escalation: e.COUNTERSIGN_ESCALATION_GROUP ? { group: e.COUNTERSIGN_ESCALATION_GROUP, at: e.COUNTERSIGN_ESCALATE_AT } : null,
    },
  };
}

let cached: DeliveryConfig | undefined;

export function deliveryConfig(): DeliveryConfig {
  cached ??= parseDeliveryConfig(process.env);
  return cached;
}
