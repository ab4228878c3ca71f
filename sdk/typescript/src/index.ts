/**
 * @countersign/sdk: ask a human before your agent acts.
 *
 *   import { requestApproval } from "@countersign/sdk";
 *   const result = await requestApproval({ action: "payments.refund", summary: "Refund $500 to cus_123", params: { amount: 500 } });
 *   if (result.status === "approved") { ... }
 */
import { Countersign, type RequestApprovalOptions } from "./client.js";
import { readEnv } from "./env.js";
import { guardWith, type GuardOptions } from "./guard.js";
import type { ApprovalInput, ApprovalResult } from "./types.js";

export { Countersign, type CountersignOptions, type RequestApprovalOptions } from "./client.js";
export { ApprovalAmendedError, ApprovalDeniedError, ApprovalNotGrantedError, CountersignError, CountersignNetworkError } from "./errors.js";
export { redeemGrant, verifyGrant, type VerifyGrantOptions } from "./grants.js";
export type { GuardOptions } from "./guard.js";
export type { RetryOptions } from "./http.js";
export type {
  Approval,
  ApprovalGrant,
  ApprovalInput,
  ApprovalRequest,
  ApprovalResult,
  Decision,
  GrantClaims,
  GrantExpectation,
  GrantRef,
  OnBehalfOfResult,
  Outcome,
  OutcomeReport,
  PolicyRef,
  Problem,
  Redemption,
  RequestContext,
  RequestList,
  RequestStatus,
} from "./types.js";
export { VERSION } from "./version.js";

let shared: { client: Countersign; url: string | undefined; agentKey: string | undefined } | undefined;

/**
 * The client behind the top-level functions, made on first use from
 * COUNTERSIGN_URL and COUNTERSIGN_AGENT_KEY, and made again if they change
 * (a rotated key is picked up without a restart).
 */
function defaultClient(): Countersign {
  const url = readEnv("COUNTERSIGN_URL");
  const agentKey = readEnv("COUNTERSIGN_AGENT_KEY");
  if (!shared || shared.url !== url || shared.agentKey !== agentKey) shared = { client: new Countersign({ url, agentKey }), url, agentKey };
  return shared.client;
}

/** `Countersign#requestApproval` with the client configured from the environment. */
export async function requestApproval(input: ApprovalInput, options?: RequestApprovalOptions): Promise<ApprovalResult> {
  return defaultClient().requestApproval(input, options);
}

/** `Countersign#guard` with the client configured from the environment (read when the guarded function is called). */
export function guard<A extends unknown[], R>(
  action: string,
  fn: (...args: A) => Promise<R> | R,
  describe: (...args: A) => Omit<ApprovalInput, "action">,
  options: GuardOptions<A> = {},
): (...args: A) => Promise<R> {
  return guardWith(defaultClient, action, fn, describe, options);
}
