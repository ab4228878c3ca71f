import { CountersignError, CountersignNetworkError } from "./errors.js";
import { linkSignal, sleep, throwIfAborted } from "./signals.js";
import type { Problem } from "./types.js";
import { VERSION } from "./version.js";

export interface RetryOptions {
  /** Tries in all, the first included (default 4). */
  attempts?: number;
  /** Base of the exponential backoff (default 200 ms). */
  minDelayMs?: number;
  /** Ceiling of one pause, `Retry-After` included (default 10 s). */
  maxDelayMs?: number;
}

export interface TransportOptions {
  url: string;
  agentKey?: string;
  fetch?: typeof fetch;
  retry?: RetryOptions;
  userAgent?: string;
  /** How long one call may take before it counts as a network failure; long-waits get their wait on top (default 30 s). */
  requestTimeoutMs?: number;
}

/**
 * How a call may be repeated.
 * - `safe`: reads, and writes the server deduplicates (create with an
 *   idempotency key) or that answer 409 when repeated (cancel, outcome):
 *   retried on network failures, 429, 502, 503 and 504.
 * - `redeem`: redeeming a grant is not idempotent. If an attempt may have
 *   reached the server, its lost answer cannot be replayed: a second attempt
 *   would only say `grant_already_redeemed` about the redemption that
 *   succeeded, and the caller would skip work it is entitled to do. So only
 *   refusals that prove nothing was redeemed are retried: a connection that
 *   was never opened (nothing was sent), 503 `unavailable` (the gateway could
 *   not reach its database, so it redeemed nothing) and 429 (turned away
 *   before the handler ran). A timeout, a reset connection, 502 or 504 end the
 *   call with the error; the caller decides.
 */
export type RetryMode = "safe" | "redeem";

export interface Call {
  method: "GET" | "POST";
  path: string;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  headers?: Record<string, string>;
  /** Sends the agent key. */
  auth: boolean;
  retry: RetryMode;
  signal?: AbortSignal;
  /** Extra time this call may take beyond the request timeout (a long-wait's wait). */
  extraTimeMs?: number;
  /**
   * Called when a repeated attempt answers 409 after an earlier one may have
   * landed: returns what the lost answer would have been, or undefined when
   * the conflict is real.
   */
  recoverConflict?: () => Promise<unknown | undefined>;
}

/** Connection errors that happen before a byte of the request is sent. */
const NOT_SENT = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "UND_ERR_CONNECT_TIMEOUT"]);

function neverSent(error: unknown, depth = 0): boolean {
  if (!error || typeof error !== "object" || depth > 5) return false;
  const e = error as { code?: unknown; cause?: unknown; errors?: unknown };
  if (typeof e.code === "string" && NOT_SENT.has(e.code)) return true;
  if (Array.isArray(e.errors) && e.errors.length > 0 && e.errors.every((inner) => neverSent(inner, depth + 1))) return true;
  return neverSent(e.cause, depth + 1);
}

function describeNetworkError(error: unknown): string {
  const parts: string[] = [];
  let e = error as { message?: unknown; code?: unknown; cause?: unknown } | undefined;
  for (let depth = 0; e && typeof e === "object" && depth < 4; depth++) {
    const text = typeof e.message === "string" && e.message ? e.message : typeof e.code === "string" ? e.code : "";
    if (text && !parts.includes(text)) parts.push(text);
    e = e.cause as typeof e;
  }
  return parts.join(": ") || String(error);
}

const CODE_BY_STATUS: Record<number, string> = {
  400: "bad_request",
  401: "unauthenticated",
  403: "forbidden",
  404: "not_found",
  409: "conflict",
  413: "payload_too_large",
  422: "validation_failed",
  429: "rate_limited",
  502: "bad_gateway",
  503: "unavailable",
  504: "gateway_timeout",
};

/** The problem in an error answer; a clear one made up from the status when the body is not a problem (a proxy's HTML page, say). */
export function readProblem(status: number, statusText: string, contentType: string | null, text: string): Problem {
  try {
    const body = JSON.parse(text) as Partial<Problem> | null;
    if (body && typeof body === "object" && !Array.isArray(body) && typeof body.code === "string") {
      return {
        ...body,
        type: typeof body.type === "string" ? body.type : "about:blank",
        title: typeof body.title === "string" ? body.title : statusText,
        status,
        detail: typeof body.detail === "string" ? body.detail : "",
        code: body.code,
        errors: Array.isArray(body.errors) ? body.errors : undefined,
      };
    }
  } catch {
    // not JSON: described below
  }
  const snippet = text.replace(/\s+/g, " ").trim().slice(0, 200);
  return {
    type: "about:blank",
    title: statusText || `HTTP ${status}`,
    status,
    code: CODE_BY_STATUS[status] ?? (status < 400 ? "unexpected_response" : status >= 500 ? "server_error" : "http_error"),
    detail: `the server answered ${status} with ${contentType ? `a ${contentType} body` : "a body"} that is not a Countersign problem${snippet ? `: ${snippet}` : ""}`,
  };
}

/** `Retry-After` in milliseconds (delta-seconds or an HTTP date), or undefined. */
function retryAfterMs(value: string | null): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

type Attempt = { kind: "answer"; status: number; statusText: string; headers: Headers; text: string } | { kind: "failure"; error: unknown; sent: boolean };

/** HTTP to one gateway: JSON in and out, problem answers as CountersignError, retries with backoff. */
export class Transport {
  readonly baseUrl: string;
  private readonly agentKey: string | undefined;
  private readonly fetch: typeof fetch;
  private readonly attempts: number;
  private readonly minDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly userAgent: string;
  private readonly requestTimeoutMs: number;

  constructor(options: TransportOptions) {
    this.baseUrl = options.url.replace(/\/+$/, "");
    this.agentKey = options.agentKey;
    // Bound to globalThis: some runtimes refuse `fetch` called as a method of another object.
    this.fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.attempts = Math.max(1, Math.floor(options.retry?.attempts ?? 4));
    this.minDelayMs = Math.max(0, options.retry?.minDelayMs ?? 200);
    this.maxDelayMs = Math.max(this.minDelayMs, options.retry?.maxDelayMs ?? 10_000);
    this.userAgent = options.userAgent ?? `countersign-sdk-typescript/${VERSION}`;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
  }

  async send<T>(call: Call): Promise<T> {
    // Whether an earlier attempt may have been carried out with its answer lost.
    let mayHaveLanded = false;
    for (let attempt = 1; ; attempt++) {
      throwIfAborted(call.signal);
      const last = attempt >= this.attempts;
      const result = await this.attempt(call);

      if (result.kind === "failure") {
        const retryable = call.retry === "safe" || !result.sent;
        if (retryable && !last) {
          mayHaveLanded ||= result.sent;
          await sleep(this.backoff(attempt), call.signal);
          continue;
        }
        const tries = attempt === 1 ? "" : ` after ${attempt} attempts`;
        throw new CountersignNetworkError(`no answer from Countersign at ${this.baseUrl}${tries}: ${describeNetworkError(result.error)}`, {
          cause: result.error,
        });
      }

      const { status, statusText, headers, text } = result;
      if (status >= 200 && status < 300) {
        try {
          return JSON.parse(text) as T;
        } catch (cause) {
          throw new CountersignError(readProblem(status, statusText, headers.get("content-type"), text), { cause });
        }
      }

      const problem = readProblem(status, statusText, headers.get("content-type"), text);
      const refusedUnprocessed = status === 429 || (status === 503 && problem.code === "unavailable");
      const retryable = call.retry === "safe" ? status === 429 || status === 502 || status === 503 || status === 504 : refusedUnprocessed;
      if (retryable && !last) {
        mayHaveLanded ||= !refusedUnprocessed;
        const hinted = retryAfterMs(headers.get("retry-after"));
        await sleep(hinted === undefined ? this.backoff(attempt) : Math.min(hinted, this.maxDelayMs), call.signal);
        continue;
      }
      const error = new CountersignError(problem);
      if (status === 409 && mayHaveLanded && call.recoverConflict) {
        const recovered = await call.recoverConflict();
        if (recovered !== undefined) return recovered as T;
      }
      throw error;
    }
  }

  /** Exponential backoff with full jitter: a random pause up to min(max, min × 2^(n−1)). */
  private backoff(attempt: number): number {
    return Math.random() * Math.min(this.maxDelayMs, this.minDelayMs * 2 ** (attempt - 1));
  }

  private async attempt(call: Call): Promise<Attempt> {
    const url = new URL(this.baseUrl + call.path);
    for (const [name, value] of Object.entries(call.query ?? {})) if (value !== undefined) url.searchParams.set(name, String(value));
    const headers: Record<string, string> = { accept: "application/json", "user-agent": this.userAgent, ...call.headers };
    if (call.body !== undefined) headers["content-type"] = "application/json";
    if (call.auth) {
      if (!this.agentKey) throw new TypeError("Countersign: no agent key; pass { agentKey } or set COUNTERSIGN_AGENT_KEY");
      headers.authorization = `Bearer ${this.agentKey}`;
    }
    const link = linkSignal(call.signal, this.requestTimeoutMs + (call.extraTimeMs ?? 0));
    try {
      const res = await this.fetch(url.toString(), {
        method: call.method,
        headers,
        body: call.body === undefined ? undefined : JSON.stringify(call.body),
        signal: link.signal,
      });
      // Read inside the timeout too: a stalled body is as lost as a stalled answer.
      const text = await res.text();
      return { kind: "answer", status: res.status, statusText: res.statusText, headers: res.headers, text };
    } catch (error) {
      throwIfAborted(call.signal);
      if (link.timedOut) return { kind: "failure", error: link.signal.reason, sent: true };
      return { kind: "failure", error, sent: !neverSent(error) };
    } finally {
      link.dispose();
    }
  }
}
