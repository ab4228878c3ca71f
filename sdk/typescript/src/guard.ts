import type { Countersign } from "./client.js";
import { ApprovalAmendedError, ApprovalDeniedError, ApprovalNotGrantedError, CountersignError } from "./errors.js";
import { toResult } from "./result.js";
import type { ApprovalInput, ApprovalRequest, ApprovalResult } from "./types.js";

export interface GuardOptions<A extends unknown[] = unknown[]> {
  /** Give up after this long without a decision (ApprovalNotGrantedError, status `pending`); the request is then cancelled. */
  timeoutMs?: number;
  /** Called once when a call needs a human, before the wait. */
  onPending?: (request: ApprovalRequest) => void;
  /**
   * A reviewer may amend the params before approving (where the rule allows
   * it): this turns the approved params and the call's arguments into the
   * arguments to run with. Without it, an amended approval throws
   * ApprovalAmendedError and the function does not run.
   */
  withApprovedParams?: (params: Record<string, unknown>, args: A) => A;
}

/** The outcome endpoint takes at most this many characters of detail. */
const MAX_DETAIL = 4000;

/** @internal The body of `guard`, for a client chosen at call time (the default client reads the environment then). */
export function guardWith<A extends unknown[], R>(
  client: () => Countersign,
  action: string,
  fn: (...args: A) => Promise<R> | R,
  describe: (...args: A) => Omit<ApprovalInput, "action">,
  options: GuardOptions<A>,
): (...args: A) => Promise<R> {
  return async (...callArgs: A): Promise<R> => {
    let args = callArgs;
    const countersign = client();
    const input: ApprovalInput = { ...describe(...args), action };
    let result = await countersign.requestApproval(input, { timeoutMs: options.timeoutMs, onPending: options.onPending });
    if (result.status === "pending") result = await withdraw(countersign, result.request);

    if (result.status === "denied") throw new ApprovalDeniedError(result.request, result.reason);
    if (result.status !== "approved") throw new ApprovalNotGrantedError(result.request, result.status);

    const { request, grant } = result;
    if (result.amended) {
      if (!options.withApprovedParams) throw new ApprovalAmendedError(request);
      args = options.withApprovedParams(result.params, args);
    }
    if (!grant.token) {
      // Only possible if the grant expired or was revoked between approval and this read.
      const expired = grant.redeemed_at === null;
      throw new CountersignError({
        type: "about:blank",
        title: expired ? "Grant expired" : "Grant already redeemed",
        status: expired ? 410 : 409,
        code: expired ? "grant_expired" : "grant_already_redeemed",
        detail: `request ${request.id} was approved but its grant can no longer be redeemed`,
      });
    }
    // Redeemed right before running, bound to the action and params the call
    // runs with: a grant is used once, and only for what the reviewer saw.
    // When amended, the approved params are what the reviewer bound the grant to.
    await countersign.redeemGrant(grant.token, { action, params: result.amended ? result.params : (input.params ?? {}) });

    let value: R;
    try {
      value = await fn(...args);
    } catch (error) {
      await report(countersign, request.id, { status: "failed", detail: describeError(error) });
      throw error;
    }
    await report(countersign, request.id, { status: "succeeded" });
    return value;
  };
}

/**
 * The caller stopped waiting and `fn` will not run, so the request is
 * cancelled: reviewers should not be asked about work that will not happen.
 * A decision may win the race; then it counts (an approval still runs `fn`).
 */
async function withdraw(countersign: Countersign, pending: ApprovalRequest): Promise<ApprovalResult> {
  try {
    return { status: "pending", request: await countersign.cancel(pending.id) };
  } catch (error) {
    if (error instanceof CountersignError && error.status === 409) {
      const now = await countersign.getRequest(pending.id);
      if (now.status !== "pending") return toResult(now);
    }
    countersign.warn(`could not cancel request ${pending.id} after the timeout`, error);
    return { status: "pending", request: pending };
  }
}

/** An outcome report must never turn `fn`'s result into a failure, nor hide `fn`'s own error. */
async function report(countersign: Countersign, id: string, outcome: { status: "succeeded" | "failed"; detail?: string }): Promise<void> {
  try {
    await countersign.reportOutcome(id, outcome);
  } catch (error) {
    countersign.warn(`could not report the outcome (${outcome.status}) of request ${id}`, error);
  }
}

function describeError(error: unknown): string {
  let text = error instanceof Error ? error.message || error.name : String(error);
  if (!text) text = "failed";
  if (text.length <= MAX_DETAIL) return text;
  let cut = MAX_DETAIL - 1;
  // Never split a surrogate pair.
  if (/[\uD800-\uDBFF]/.test(text[cut - 1])) cut--;
  return `${text.slice(0, cut)}…`;
}
