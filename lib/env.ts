import "server-only";
import { z } from "zod";
import { ROLES } from "./users/roles.ts";

// Every variable is parsed here, once, by the same rules; a missing or
// malformed one fails fast with a readable message instead of at the first
// request. The rules:
// - an empty value counts as unset (`VAR=` in a compose file means the default);
// - booleans are true/false, 1/0 or yes/no;
// - counts and limits are whole numbers;
// - durations are whole seconds (`…_SECONDS`, `…_MAX_AGE`);
// - shares of a wait and confidences are fractions.
const bool = z
  .enum(["true", "false", "1", "0", "yes", "no"], "must be true, false, 1, 0, yes or no")
  .transform((v) => v === "true" || v === "1" || v === "yes");
const number = (min: number, max: number) => z.coerce.number("must be a number").min(min, `must be at least ${min}`).max(max, `must be at most ${max}`);
const int = (min: number, max = Number.MAX_SAFE_INTEGER) => number(min, max).int("must be a whole number");
const seconds = int;
const fraction = number;
const port = int(1, 65535);

/**
 * Agents' connections per process. Fewer make reviewers' decisions faster
 * under a flood of creates (fewer agent backends to queue behind), more
 * absorb bursts of agents' reads: on 2 cores, 6 decided at half the p99 of
 * 10 with as many creates per second, but 10,000 agents opening long-waits
 * at once then met 503s (README, "Load and fault suite").
 */
export const DEFAULT_DATABASE_POOL_SIZE = 10;

const schema = z
  .object({
    NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
    PORT: port.default(3000),
    HOST: z.string().default("0.0.0.0"),
    DATABASE_URL: z.string().url().optional(),
    /** Connections for agents, executors and background work. */
    DATABASE_POOL_SIZE: int(1, 200).default(DEFAULT_DATABASE_POOL_SIZE),
    /** Connections kept apart for people: the dashboard, the admin API and the kill switch never queue behind agents. */
    DATABASE_PEOPLE_POOL_SIZE: int(1, 200).default(4),
    /** How long a call waits for a free connection before it is answered 503 with Retry-After. */
    DATABASE_POOL_TIMEOUT_SECONDS: seconds(1, 600).default(10),
    COUNTERSIGN_DATA_DIR: z.string().default(".countersign"),
    COUNTERSIGN_EMBEDDED_PG_PORT: port.default(54329),
    AUTH_SECRET: z.string().min(32, "AUTH_SECRET must be at least 32 characters").optional(),
    COUNTERSIGN_KEY_SECRET: z.string().min(32).optional(),
    COUNTERSIGN_PUBLIC_URL: z.string().url().optional(),
    AUTH_OIDC_ISSUER: z.string().url().optional(),
    AUTH_OIDC_CLIENT_ID: z.string().optional(),
    AUTH_OIDC_CLIENT_SECRET: z.string().optional(),
    AUTH_OIDC_NAME: z.string().default("Single sign-on"),
    // Verified on-behalf-of (lib/on-behalf-of): the ID tokens agents may pass as `context.on_behalf_of_token`.
    /** Issuers whose ID tokens are trusted, comma-separated; unset: AUTH_OIDC_ISSUER. None: every token is unverified. */
    COUNTERSIGN_OBO_ISSUER: z
      .string()
      .regex(/^\s*https?:\/\/[^\s,]+\s*(,\s*https?:\/\/[^\s,]+\s*)*$/, "must be issuer URLs separated by commas")
      .optional(),
    /** Audiences (`aud`) a token must name one of, comma-separated; unset: AUTH_OIDC_CLIENT_ID. */
    COUNTERSIGN_OBO_AUDIENCE: z
      .string()
      .regex(/^\s*[^\s,]+\s*(,\s*[^\s,]+\s*)*$/, "must be audiences separated by commas")
      .optional(),
    /** How long one fetch of an issuer's discovery document or keys may take; past it the token is unverified. */
    COUNTERSIGN_OBO_FETCH_TIMEOUT_SECONDS: seconds(1, 30).default(2),
    COUNTERSIGN_OIDC_DEFAULT_ROLE: z.enum(ROLES).default("reviewer"),
    COUNTERSIGN_SESSION_MAX_AGE: seconds(60).default(8 * 3600),
    /** Open dashboard event streams per user and instance; the next one is answered 429. */
    COUNTERSIGN_STREAMS_PER_USER: int(1).default(8),
    COUNTERSIGN_AGENT_RATE_PER_MINUTE: int(1).default(600),
    /** Pending requests per agent; a soft bound (lib/requests/pending-cap.ts). */
    COUNTERSIGN_MAX_PENDING_PER_AGENT: int(1).default(1000),
    /** Sign-in attempts for one account from one address per 15 minutes (a lock there locks out only that address). */
    COUNTERSIGN_SIGNIN_ATTEMPTS_PER_15MIN: int(1).default(10),
    /** Failed sign-ins from one address (an IPv6 /64) across all accounts per 15 minutes. */
    COUNTERSIGN_SIGNIN_FAILURES_PER_ADDRESS_15MIN: int(1).default(50),
    /** Failed sign-ins for one account from all addresses per hour; beyond it only addresses the account signed in from before may try. */
    COUNTERSIGN_SIGNIN_FAILURES_PER_ACCOUNT_HOUR: int(1).default(100),
    /** Refused grant redemptions from one address (an IPv6 /64) per minute, then 429. */
    COUNTERSIGN_REDEEM_REFUSALS_PER_ADDRESS_MINUTE: int(1).default(60),
    /** Refused redemptions of one grant per minute, then 429. */
    COUNTERSIGN_REDEEM_REFUSALS_PER_GRANT_MINUTE: int(1).default(10),
    /** Long-waits (`?wait=`) one agent may hold at once, per app instance; more get 429. */
    COUNTERSIGN_MAX_WAITS_PER_AGENT: int(1).default(50),
    /** Long-waits on one request at once, per app instance; more get 429. */
    COUNTERSIGN_MAX_WAITS_PER_REQUEST: int(1).default(10),
    /** Long-waits held at once by one app instance (about 10 KiB each); more get 503 with Retry-After. */
    COUNTERSIGN_MAX_WAITS: int(1).default(20_000),
    /** Agent and executor calls being worked on at once by one app instance (held long-waits not counted); more get 503 with Retry-After. */
    COUNTERSIGN_MAX_INFLIGHT: int(1).default(256),
    /** Agent and executor calls are answered 503 with Retry-After while the event loop runs this late (ms, a running average), so people's calls stay fast; 0 turns it off. */
    COUNTERSIGN_MAX_EVENT_LOOP_DELAY_MS: int(0, 10_000).default(40),
    /** While a signed-in person's or an admin token's call is being served, each statement of agents' and background work waits up to this long (ms) for it; 0 turns it off (lib/limits/people-first.ts). */
    COUNTERSIGN_PEOPLE_FIRST_MS: int(0, 1_000).default(20),
    /** Calls of one agent being worked on at once, per app instance (held long-waits not counted); more get 429 with Retry-After. */
    COUNTERSIGN_MAX_INFLIGHT_PER_AGENT: int(1).default(32),
    /** Repeats of one refusal (same grant or account, reason and address) within this many seconds become one summary audit event. */
    COUNTERSIGN_AUDIT_REFUSAL_WINDOW_SECONDS: seconds(1).default(60),
    COUNTERSIGN_SWEEP_INTERVAL_SECONDS: seconds(1).default(15),
    /** App processes `countersign start` runs, sharing the port (node:cluster): a number, or `auto` for one per CPU. */
    COUNTERSIGN_WORKERS: z.union([z.literal("auto"), int(1, 256)], "must be a whole number from 1 to 256, or auto").default(1),
    /** Risk signals (lib/risk); off, none are computed or kept, and rule conditions on `risk` fail closed. */
    COUNTERSIGN_RISK_SIGNALS: bool.default(true),
    /** Requests stating a confidence below this get the `low_confidence` risk flag. */
    COUNTERSIGN_RISK_LOW_CONFIDENCE: fraction(0, 1).default(0.5),
    COUNTERSIGN_AUDIT_CHECKPOINT_SECONDS: seconds(1).default(3600),
    COUNTERSIGN_METRICS: bool.default(true),
    COUNTERSIGN_METRICS_TOKEN: z.string().min(16).optional(),
    COUNTERSIGN_TRUST_PROXY: bool.default(false),
    /** Unset: `silent` under NODE_ENV=test, `info` otherwise. */
    LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).optional(),

    // Outbound delivery (lib/delivery/config.ts derives the policies and sinks from these).
    /** Plain `http://` to webhook, callback and SIEM URLs; unset: allowed unless NODE_ENV is production. */
    COUNTERSIGN_ALLOW_HTTP_WEBHOOKS: bool.optional(),
    /** Webhook endpoints, SIEM sinks and the SMTP server may be on loopback and private addresses. */
    COUNTERSIGN_OUTBOUND_ALLOW_PRIVATE: bool.default(false),
    /** The same for the `callback_url` agents put in their requests. */
    COUNTERSIGN_ALLOW_PRIVATE_CALLBACKS: bool.default(false),
    /** Attempts before a delivery is `dead`. */
    COUNTERSIGN_WEBHOOK_MAX_ATTEMPTS: int(1, 50).default(8),
    COUNTERSIGN_WEBHOOK_TIMEOUT_SECONDS: seconds(1, 120).default(10),
    /** The dispatcher's safety timer; new request events wake it at once through the notification hub. */
    COUNTERSIGN_DELIVERY_INTERVAL_SECONDS: seconds(1, 3600).default(5),
    /** Months of finished deliveries are dropped once they ended this many days ago (lib/delivery/retention.ts). */
    COUNTERSIGN_DELIVERY_RETENTION_DAYS: int(1).default(30),
    COUNTERSIGN_SIEM_SYSLOG: z
      .string()
      .regex(/^(tcp|udp):\/\/[^/:]+:\d{1,5}$/, "must be tcp://host:port or udp://host:port")
      .optional(),
    COUNTERSIGN_SIEM_HTTPS_URL: z.string().url().optional(),
    COUNTERSIGN_SIEM_HTTPS_SECRET: z
      .string()
      .regex(/^whsec_[A-Za-z0-9+/=]{32,}$/, "must be whsec_ followed by base64 of at least 24 bytes")
      .optional(),
    /** `smtp://user:pass@host:587` (STARTTLS when the server offers it) or `smtps://…:465`; email is off without it. */
    COUNTERSIGN_SMTP_URL: z
      .string()
      .regex(/^smtps?:\/\/\S+$/, "must be smtp://[user:pass@]host[:port] or smtps://…")
      .optional(),
    COUNTERSIGN_EMAIL_FROM: z
      .string()
      .min(3)
      .max(320)
      .regex(/^[^\r\n]+$/, "must be one line")
      .default("Countersign <countersign@localhost>"),
    /** Share of a request's wait after which, still undecided, it is `request.expiring`; 0 turns reminders off. */
    COUNTERSIGN_REMINDER_AT: fraction(0, 0.99).default(0.5),
    /** The reviewer group told when a request is still undecided at COUNTERSIGN_ESCALATE_AT of its wait. */
    COUNTERSIGN_ESCALATION_GROUP: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, "must be a reviewer group name")
      .optional(),
    COUNTERSIGN_ESCALATE_AT: fraction(0.01, 0.99).default(0.8),
    /** Emails about new requests carry one-time Approve/Deny links (each opens a confirmation page that needs the reviewer's session). */
    COUNTERSIGN_EMAIL_DECISION_LINKS: bool.default(false),
    /** How long a one-time decision link stays usable. */
    COUNTERSIGN_DECISION_LINK_TTL_SECONDS: seconds(60, 7 * 24 * 3600).default(1800),

    // Slack app (lib/slack): off unless the bot token and the signing secret are both set.
    SLACK_BOT_TOKEN: z.string().min(10).optional(),
    SLACK_SIGNING_SECRET: z.string().min(16).optional(),
    /** The Web API's base URL; only changed for a stand-in in tests. */
    SLACK_API_URL: z.string().url().default("https://slack.com/api"),
    /** Reviewer group to channel: `finance:C0123,ops:C0456`. */
    SLACK_CHANNELS: z
      .string()
      .regex(
        /^\s*[a-z0-9][a-z0-9_-]{0,63}:[A-Z0-9]{2,32}\s*(,\s*[a-z0-9][a-z0-9_-]{0,63}:[A-Z0-9]{2,32}\s*)*$/,
        "must be group:CHANNEL_ID pairs separated by commas",
      )
      .optional(),
    /** The channel for requests whose groups have no channel of their own (and for requests any reviewer may decide). */
    SLACK_DEFAULT_CHANNEL: z
      .string()
      .regex(/^[A-Z0-9]{2,32}$/, "must be a channel id such as C0123ABCD")
      .optional(),
  })
  .superRefine((e, ctx) => {
    if (!!e.SLACK_BOT_TOKEN !== !!e.SLACK_SIGNING_SECRET) {
      ctx.addIssue({
        code: "custom",
        path: [e.SLACK_BOT_TOKEN ? "SLACK_SIGNING_SECRET" : "SLACK_BOT_TOKEN"],
        message: "SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET go together",
      });
    }
    if (e.COUNTERSIGN_OBO_ISSUER && !(e.COUNTERSIGN_OBO_AUDIENCE ?? e.AUTH_OIDC_CLIENT_ID)) {
      ctx.addIssue({ code: "custom", path: ["COUNTERSIGN_OBO_AUDIENCE"], message: "required with COUNTERSIGN_OBO_ISSUER (or AUTH_OIDC_CLIENT_ID)" });
    }
    if (e.COUNTERSIGN_SIEM_HTTPS_URL && !e.COUNTERSIGN_SIEM_HTTPS_SECRET) {
      ctx.addIssue({ code: "custom", path: ["COUNTERSIGN_SIEM_HTTPS_SECRET"], message: "required with COUNTERSIGN_SIEM_HTTPS_URL (whsec_…)" });
    }
  })
  .transform((e) => ({ ...e, LOG_LEVEL: e.LOG_LEVEL ?? (e.NODE_ENV === "test" ? ("silent" as const) : ("info" as const)) }));

export type Env = z.infer<typeof schema>;

/** The error every configuration problem is reported with: one line per variable. */
export function configurationError(problems: { variable: string; message: string }[]): Error {
  return new Error(`Invalid configuration:\n${problems.map((p) => `  ${p.variable}: ${p.message}`).join("\n")}`);
}

/** Parses an environment (process.env, or a test's own); throws configurationError. */
export function parseEnv(source: Record<string, string | undefined>): Env {
  const set = Object.fromEntries(Object.entries(source).filter(([, value]) => value !== ""));
  const result = schema.safeParse(set);
  if (!result.success) throw configurationError(result.error.issues.map((i) => ({ variable: i.path.join("."), message: i.message })));
  return result.data;
}

let cached: Env | undefined;

/** The parsed environment. Read lazily so the CLI can fill in embedded-mode values first. */
export function env(): Env {
  cached ??= parseEnv(process.env);
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

/** Single sign-on is offered when an OIDC issuer and client are configured. */
export function oidcEnabled(): boolean {
  return Boolean(env().AUTH_OIDC_ISSUER && env().AUTH_OIDC_CLIENT_ID);
}
