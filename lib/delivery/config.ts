import "server-only";
import { configurationError, env, type Env } from "../env.ts";
import { hostProblem, normalizeHost, urlProblem, type OutboundPolicy } from "./url-safety.ts";

// Event delivery settings, derived from the environment (lib/env.ts parses
// and documents the variables): the outbound address policies, the SIEM sinks,
// email and reminders. Configured receivers are checked here against the
// policy, as a saved webhook endpoint is; their connections are checked again.

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

/** The delivery settings of a parsed environment; throws configurationError for a receiver the policy refuses. */
export function deliveryConfigOf(e: Env): DeliveryConfig {
  const allowHttp = e.COUNTERSIGN_ALLOW_HTTP_WEBHOOKS ?? e.NODE_ENV !== "production";
  const destinations: OutboundPolicy = { allowHttp, allowPrivate: e.COUNTERSIGN_OUTBOUND_ALLOW_PRIVATE, setting: "COUNTERSIGN_OUTBOUND_ALLOW_PRIVATE" };
  const callbacks: OutboundPolicy = { allowHttp, allowPrivate: e.COUNTERSIGN_ALLOW_PRIVATE_CALLBACKS, setting: "COUNTERSIGN_ALLOW_PRIVATE_CALLBACKS" };
  const check = (variable: string, problem: string | null) => {
    if (problem) throw configurationError([{ variable, message: problem }]);
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
  if (e.COUNTERSIGN_SIEM_HTTPS_URL && e.COUNTERSIGN_SIEM_HTTPS_SECRET) {
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

let cached: { env: Env; config: DeliveryConfig } | undefined;

/** The delivery settings of env(), derived again after resetEnv(). */
export function deliveryConfig(): DeliveryConfig {
  const e = env();
  if (cached?.env !== e) cached = { env: e, config: deliveryConfigOf(e) };
  return cached.config;
}
