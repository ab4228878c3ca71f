import "server-only";
import { z } from "zod";

// The environment is parsed once; a missing or malformed variable fails fast
// with a readable message instead of at the first request.
const bool = z
  .enum(["true", "false", "1", "0", "yes", "no"])
  .transform((v) => v === "true" || v === "1" || v === "yes");

const schema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  HOST: z.string().default("0.0.0.0"),
  DATABASE_URL: z.string().url().optional(),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  COUNTERSIGN_DATA_DIR: z.string().default(".countersign"),
  COUNTERSIGN_EMBEDDED_PG_PORT: z.coerce.number().int().min(1).max(65535).default(54329),
  AUTH_SECRET: z.string().min(32, "AUTH_SECRET must be at least 32 characters").optional(),
  COUNTERSIGN_KEY_SECRET: z.string().min(32).optional(),
  COUNTERSIGN_PUBLIC_URL: z.string().url().optional(),
  AUTH_OIDC_ISSUER: z.string().url().optional(),
  AUTH_OIDC_CLIENT_ID: z.string().optional(),
  AUTH_OIDC_CLIENT_SECRET: z.string().optional(),
  AUTH_OIDC_NAME: z.string().default("Single sign-on"),
  COUNTERSIGN_OIDC_DEFAULT_ROLE: z.enum(["reviewer", "auditor", "admin"]).default("reviewer"),
  COUNTERSIGN_SESSION_MAX_AGE: z.coerce.number().int().min(60).default(8 * 3600),
  /** Open dashboard event streams per user and instance; the next one is answered 429. */
  COUNTERSIGN_STREAMS_PER_USER: z.coerce.number().int().min(1).default(8),
  COUNTERSIGN_AGENT_RATE_PER_MINUTE: z.coerce.number().int().min(1).default(600),
  COUNTERSIGN_MAX_PENDING_PER_AGENT: z.coerce.number().int().min(1).default(1000),
  /** Sign-in attempts for one account from one address per 15 minutes (a lock there locks out only that address). */
  COUNTERSIGN_SIGNIN_ATTEMPTS_PER_15MIN: z.coerce.number().int().min(1).default(10),
  /** Failed sign-ins from one address (an IPv6 /64) across all accounts per 15 minutes. */
  COUNTERSIGN_SIGNIN_FAILURES_PER_ADDRESS_15MIN: z.coerce.number().int().min(1).default(50),
  /** Failed sign-ins for one account from all addresses per hour; beyond it only addresses the account signed in from before may try. */
  COUNTERSIGN_SIGNIN_FAILURES_PER_ACCOUNT_HOUR: z.coerce.number().int().min(1).default(100),
  /** Refused grant redemptions from one address (an IPv6 /64) per minute, then 429. */
  COUNTERSIGN_REDEEM_REFUSALS_PER_ADDRESS_MINUTE: z.coerce.number().int().min(1).default(60),
  /** Refused redemptions of one grant per minute, then 429. */
  COUNTERSIGN_REDEEM_REFUSALS_PER_GRANT_MINUTE: z.coerce.number().int().min(1).default(10),
  /** Long-waits (`?wait=`) one agent may hold at once, per app instance; more get 429. */
  COUNTERSIGN_MAX_WAITS_PER_AGENT: z.coerce.number().int().min(1).default(50),
  /** Long-waits on one request at once, per app instance; more get 429. */
  COUNTERSIGN_MAX_WAITS_PER_REQUEST: z.coerce.number().int().min(1).default(10),
  /** Repeats of one refusal (same grant or account, reason and address) within this many seconds become one summary audit event. */
  COUNTERSIGN_AUDIT_REFUSAL_WINDOW_SECONDS: z.coerce.number().int().min(1).default(60),
  COUNTERSIGN_SWEEP_INTERVAL_SECONDS: z.coerce.number().int().min(1).default(15),
  /** Risk signals (lib/risk); off, none are computed or kept, and rule conditions on `risk` fail closed. */
  COUNTERSIGN_RISK_SIGNALS: bool.default(true),
  /** Requests stating a confidence below this get the `low_confidence` risk flag. */
  COUNTERSIGN_RISK_LOW_CONFIDENCE: z.coerce.number().min(0).max(1).default(0.5),
  COUNTERSIGN_AUDIT_CHECKPOINT_SECONDS: z.coerce.number().int().min(1).default(3600),
  COUNTERSIGN_METRICS: bool.default(true),
  COUNTERSIGN_METRICS_TOKEN: z.string().min(16).optional(),
  COUNTERSIGN_TRUST_PROXY: bool.default(false),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
});

export type Env = z.infer<typeof schema>;

function parse(): Env {
  const result = schema.safeParse(process.env);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new Error(`Invalid configuration:\n${lines.join("\n")}`);
  }
  return result.data;
}

let cached: Env | undefined;

/** The parsed environment. Read lazily so the CLI can fill in embedded-mode values first. */
export function env(): Env {
  cached ??= parse();
  return cached;
}

/** For the CLI and tests, after they changed process.env. */
export function resetEnv(): void {
  cached = undefined;
}

export function publicUrl(): string {
  const e = env();
  return (e.COUNTERSIGN_PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/$/, "");
}
