import { z } from "zod";

/**
 * Event delivery settings, read from the environment once. Kept apart from
 * lib/env.ts so that a malformed sink address names its own variable.
 *
 * - `COUNTERSIGN_ALLOW_HTTP_WEBHOOKS`: allow plain `http://` to localhost
 *   (always allowed when NODE_ENV is not `production`).
 * - `COUNTERSIGN_WEBHOOK_MAX_ATTEMPTS` (8): attempts before a delivery is `dead`.
 * - `COUNTERSIGN_WEBHOOK_TIMEOUT_SECONDS` (10): per attempt.
 * - `COUNTERSIGN_DELIVERY_INTERVAL_SECONDS` (5): the safety timer; new request
 *   events wake the dispatcher at once through the notification hub.
 * - `COUNTERSIGN_SIEM_SYSLOG`: `tcp://host:port` or `udp://host:port`.
 * - `COUNTERSIGN_SIEM_HTTPS_URL` + `COUNTERSIGN_SIEM_HTTPS_SECRET` (`whsec_…`).
 */
const bool = z
  .enum(["true", "false", "1", "0", ""])
  .transform((v) => v === "true" || v === "1")
  .optional();

const schema = z.object({
  NODE_ENV: z.string().optional(),
  COUNTERSIGN_ALLOW_HTTP_WEBHOOKS: bool,
  COUNTERSIGN_WEBHOOK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(8),
  COUNTERSIGN_WEBHOOK_TIMEOUT_SECONDS: z.coerce.number().min(1).max(120).default(10),
  COUNTERSIGN_DELIVERY_INTERVAL_SECONDS: z.coerce.number().min(0.1).max(3600).default(5),
  COUNTERSIGN_SIEM_SYSLOG: z
    .string()
    .regex(/^(tcp|udp):\/\/[^/:]+:\d{1,5}$/, "must be tcp://host:port or udp://host:port")
    .optional(),
  COUNTERSIGN_SIEM_HTTPS_URL: z.string().url().optional(),
  COUNTERSIGN_SIEM_HTTPS_SECRET: z.string().regex(/^whsec_[A-Za-z0-9+/=]{32,}$/, "must be whsec_ followed by base64 of at least 24 bytes").optional(),
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

export interface DeliveryConfig {
  allowHttp: boolean;
  maxAttempts: number;
  timeoutMs: number;
  intervalMs: number;
  sinks: SiemSinkConfig[];
}

export function parseDeliveryConfig(source: Record<string, string | undefined>): DeliveryConfig {
  const parsed = schema.safeParse(source);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${String(issue.path[0])}: ${issue.message}`);
  }
  const e = parsed.data;
  const sinks: SiemSinkConfig[] = [];
  if (e.COUNTERSIGN_SIEM_SYSLOG) {
    const url = new URL(e.COUNTERSIGN_SIEM_SYSLOG);
    const transport = url.protocol === "tcp:" ? "tcp" : "udp";
    sinks.push({ kind: "syslog", id: `siem:syslog:${transport}://${url.hostname}:${url.port}`, transport, host: url.hostname, port: Number(url.port) });
  }
  if (e.COUNTERSIGN_SIEM_HTTPS_URL) {
    if (!e.COUNTERSIGN_SIEM_HTTPS_SECRET) throw new Error("COUNTERSIGN_SIEM_HTTPS_SECRET: required with COUNTERSIGN_SIEM_HTTPS_URL (whsec_…)");
    sinks.push({ kind: "https", id: `siem:https:${e.COUNTERSIGN_SIEM_HTTPS_URL}`, url: e.COUNTERSIGN_SIEM_HTTPS_URL, secret: e.COUNTERSIGN_SIEM_HTTPS_SECRET });
  }
  return {
    allowHttp: e.COUNTERSIGN_ALLOW_HTTP_WEBHOOKS ?? e.NODE_ENV !== "production",
    maxAttempts: e.COUNTERSIGN_WEBHOOK_MAX_ATTEMPTS,
    timeoutMs: e.COUNTERSIGN_WEBHOOK_TIMEOUT_SECONDS * 1000,
    intervalMs: e.COUNTERSIGN_DELIVERY_INTERVAL_SECONDS * 1000,
    sinks,
  };
}

let cached: DeliveryConfig | undefined;

export function deliveryConfig(): DeliveryConfig {
  cached ??= parseDeliveryConfig(process.env);
  return cached;
}
