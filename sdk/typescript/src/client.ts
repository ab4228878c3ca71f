import { readEnv } from "./env.js";
import { guardWith, type GuardOptions } from "./guard.js";
import { Transport, type RetryOptions } from "./http.js";
import { toResult } from "./result.js";
import type { ApprovalInput, ApprovalRequest, ApprovalResult, GrantExpectation, OutcomeReport, Redemption, RequestList, RequestStatus } from "./types.js";

export interface CountersignOptions {
  /** The gateway, e.g. `https://countersign.example.com` (default: `COUNTERSIGN_URL`). */
  url?: string;
  /** `csk_…` (default: `COUNTERSIGN_AGENT_KEY`). Only redeeming a grant works without one. */
  agentKey?: string;
  /** A fetch to use instead of the global one (proxies, tests, instrumentation). */
  fetch?: typeof fetch;
  retry?: RetryOptions;
  userAgent?: string;
  /** How long one HTTP call may take, long-waits excepted (they get their wait on top); default 30 s. */
  requestTimeoutMs?: number;
  /** Problems that must not fail the caller's work (an outcome report that could not be sent); default `console.warn`. */
  onWarning?: (message: string, error?: unknown) => void;
}

export interface RequestApprovalOptions {
  /** Repeat a call with the same key to get the same request back (default: a new UUID, reused across retries). */
  idempotencyKey?: string;
  /** Give up waiting after this long and answer `pending` (the request lives on). Default: until the request is decided or expires. Honoured to within a second: the gateway waits in whole seconds. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Called once when the request needs a human, before the wait starts: tell the user what you are waiting for. */
  onPending?: (request: ApprovalRequest) => void;
}

/** The longest single wait the gateway holds (`?wait=`, seconds). */
const MAX_WAIT_SECONDS = 60;

/**
 * A fresh idempotency key. Uniqueness is all it needs: where Web Crypto is
 * not global (Node 18 without its flag), time plus Math.random will do.
 */
export function newIdempotencyKey(): string {
  const webCrypto = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
  if (typeof webCrypto?.randomUUID === "function") return webCrypto.randomUUID();
  const random = () => Math.random().toString(36).slice(2, 12).padEnd(10, "0");
  return `${Date.now().toString(36)}-${random()}-${random()}-${random()}`;
}

/** An agent's client for one Countersign gateway. */
export class Countersign {
  readonly url: string;
  /** @internal */
  readonly warn: (message: string, error?: unknown) => void;
  private readonly http: Transport;

  constructor(options: CountersignOptions = {}) {
    const url = options.url ?? readEnv("COUNTERSIGN_URL");
    if (!url) throw new TypeError("Countersign: no gateway URL; pass { url } or set COUNTERSIGN_URL");
    this.http = new Transport({
      url,
      agentKey: options.agentKey ?? readEnv("COUNTERSIGN_AGENT_KEY"),
      fetch: options.fetch,
      retry: options.retry,
      userAgent: options.userAgent,
      requestTimeoutMs: options.requestTimeoutMs,
    });
    this.url = this.http.baseUrl;
    this.warn = options.onWarning ?? ((message, error) => globalThis.console?.warn(`[countersign] ${message}`, ...(error === undefined ? [] : [error])));
  }

  /**
   * `POST /api/v1/requests`. Always sends an idempotency key (a new one when
   * not given), so the retries of a create whose answer was lost return the
   * original request (200) instead of making a second one (201).
   */
  createRequest(input: ApprovalInput, options: { idempotencyKey?: string; signal?: AbortSignal } = {}): Promise<ApprovalRequest> {
    return this.http.send<ApprovalRequest>({
      method: "POST",
      path: "/api/v1/requests",
      body: input,
      headers: { "idempotency-key": options.idempotencyKey ?? newIdempotencyKey() },
      auth: true,
      retry: "safe",
      signal: options.signal,
    });
  }

  /** `GET /api/v1/requests/{id}`; with `wait` (seconds, ≤ 60) the gateway holds the answer until the request leaves `pending`. */
  getRequest(id: string, options: { wait?: number; signal?: AbortSignal } = {}): Promise<ApprovalRequest> {
    return this.http.send<ApprovalRequest>({
      method: "GET",
      path: `/api/v1/requests/${encodeURIComponent(id)}`,
      query: { wait: options.wait },
      auth: true,
      retry: "safe",
      signal: options.signal,
      extraTimeMs: (options.wait ?? 0) * 1000,
    });
  }

  /** This agent's requests, newest first; pass `next_cursor` back as `cursor` for the next page. */
  listRequests(query: { status?: RequestStatus; limit?: number; cursor?: string } = {}): Promise<RequestList> {
    return this.http.send<RequestList>({
      method: "GET",
      path: "/api/v1/requests",
      query: { status: query.status, limit: query.limit, cursor: query.cursor },
      auth: true,
      retry: "safe",
    });
  }

  /**
   * Waits for the decision on a request made earlier (after a `pending`
   * result, or by another process): long-waits of up to 60 s each until the
   * request is decided or expires, `timeoutMs` passes (→ `pending`), or
   * `signal` aborts (→ rejects with its reason).
   */
  waitForDecision(id: string, options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<ApprovalResult> {
    return this.settle(id, undefined, deadlineOf(options.timeoutMs), options.signal);
  }

  /**
   * Asks for approval and waits for the answer. A rule that allows or denies
   * the action answers at once; otherwise a reviewer decides while this waits.
   * Approved results carry the grant token to redeem (or hand to the executor).
   */
  async requestApproval(input: ApprovalInput, options: RequestApprovalOptions = {}): Promise<ApprovalResult> {
    const deadline = deadlineOf(options.timeoutMs);
    const request = await this.createRequest(input, { idempotencyKey: options.idempotencyKey ?? newIdempotencyKey(), signal: options.signal });
    if (request.status === "pending" && options.onPending) {
      try {
        options.onPending(request);
      } catch (error) {
        this.warn("onPending threw; waiting for the decision anyway", error);
      }
    }
    return this.settle(request.id, request, deadline, options.signal);
  }

  /** Withdraws a pending request. A retried cancel whose first answer was lost still resolves with the cancelled request. */
  cancel(id: string): Promise<ApprovalRequest> {
    return this.http.send<ApprovalRequest>({
      method: "POST",
      path: `/api/v1/requests/${encodeURIComponent(id)}/cancel`,
      auth: true,
      retry: "safe",
      recoverConflict: async () => {
        const request = await this.getRequest(id);
        return request.status === "cancelled" ? request : undefined;
      },
    });
  }

  /** Reports how the approved action went (once, after its grant was redeemed). */
  reportOutcome(id: string, outcome: OutcomeReport): Promise<ApprovalRequest> {
    return this.http.send<ApprovalRequest>({
      method: "POST",
      path: `/api/v1/requests/${encodeURIComponent(id)}/outcome`,
      body: outcome,
      auth: true,
      retry: "safe",
      recoverConflict: async () => {
        const request = await this.getRequest(id);
        return request.outcome?.status === outcome.status ? request : undefined;
      },
    });
  }

  /**
   * Redeems a grant: succeeds exactly once per grant, and only when `expected`
   * (if given) matches what was approved. Not retried once the call may have
   * reached the gateway (see RetryMode in http.ts).
   */
  redeemGrant(token: string, expected: GrantExpectation = {}): Promise<Redemption> {
    return redeemWith(this.http, token, expected);
  }

  /**
   * Wraps `fn` so that every call asks first: `describe` turns the call's
   * arguments into the request (summary, params, …). Runs `fn` only when
   * approved, right after redeeming the grant against the same action and
   * params, then reports the outcome. Denied → ApprovalDeniedError; expired,
   * cancelled or timed out → ApprovalNotGrantedError; `fn` is not called.
   */
  guard<A extends unknown[], R>(
    action: string,
    fn: (...args: A) => Promise<R> | R,
    describe: (...args: A) => Omit<ApprovalInput, "action">,
    options: GuardOptions<A> = {},
  ): (...args: A) => Promise<R> {
    return guardWith(() => this, action, fn, describe, options);
  }

  private async settle(id: string, current: ApprovalRequest | undefined, deadline: number, signal: AbortSignal | undefined): Promise<ApprovalResult> {
    for (;;) {
      if (current && current.status !== "pending") return toResult(current);
      const remaining = deadline - Date.now();
      if (current && remaining <= 0) return { status: "pending", request: current };
      // Whole seconds, rounded up: stopping short would end in a busy loop of zero-second waits.
      const wait = Math.max(0, Math.min(MAX_WAIT_SECONDS, Math.ceil(remaining / 1000)));
      current = await this.getRequest(id, { wait, signal });
    }
  }
}

function deadlineOf(timeoutMs: number | undefined): number {
  return timeoutMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + Math.max(0, timeoutMs);
}

/** @internal */
export function redeemWith(http: Transport, token: string, expected: GrantExpectation): Promise<Redemption> {
  return http.send<Redemption>({
    method: "POST",
    path: "/api/v1/grants/redeem",
    body: { token, action: expected.action, params: expected.params },
    auth: false,
    retry: "redeem",
  });
}
