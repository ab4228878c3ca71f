/**
 * A support agent that refunds a customer, but only once a person approves.
 *
 *   COUNTERSIGN_URL=http://localhost:3000 COUNTERSIGN_AGENT_KEY=csk_... \
 *     node bin/run-ts.mjs examples/typescript/refund-agent.ts
 *
 * Optional: REFUND_CUSTOMER (default cus_123), REFUND_AMOUNT (default 500).
 * Exit codes: 0 refunded, 3 denied, 4 not decided (expired or cancelled), 1 error.
 *
 * This is the whole protocol, step by step: ask → wait → redeem the one-time
 * grant → act → report the outcome. `cs.guard(...)` does the same round trip
 * around any function; see `guardedRefund` at the end.
 */
import { randomUUID } from "node:crypto";
import { Countersign, CountersignError, guard } from "@countersign/sdk";

const EXIT_DENIED = 3;
const EXIT_NOT_DECIDED = 4;

/** Stands in for the payment provider's API. */
async function issueRefund(customer: string, amount: number): Promise<string> {
  return `re_${randomUUID().replace(/-/g, "").slice(0, 12)}`;
}

async function main(): Promise<number> {
  if (!process.env.COUNTERSIGN_URL || !process.env.COUNTERSIGN_AGENT_KEY) {
    console.error("Set COUNTERSIGN_URL and COUNTERSIGN_AGENT_KEY (npm start prints the demo agent's key).");
    return 1;
  }
  const cs = new Countersign(); // COUNTERSIGN_URL and COUNTERSIGN_AGENT_KEY
  const customer = process.env.REFUND_CUSTOMER ?? "cus_123";
  const amount = Number(process.env.REFUND_AMOUNT ?? 500);
  const action = "payments.refund";
  const params = { amount, currency: "USD" };

  // 1. Ask. A rule may answer at once; otherwise this waits for a reviewer
  //    (long-waits of up to 60 s each) until a decision or the request expires.
  console.log(`Asking for approval to refund $${amount.toFixed(2)} to customer ${customer}.`);
  const result = await cs.requestApproval(
    {
      action,
      summary: `Refund $${amount.toFixed(2)} to customer ${customer} for a duplicate charge`,
      resource: `customer:${customer}`,
      params,
      justification: "The customer was charged twice for the same order (ticket #4521).",
      context: { task_id: "ticket-4521", environment: { name: "demo" } },
    },
    {
      onPending: (request) => console.log(`Waiting for a reviewer to decide request ${request.id} (${cs.url}/requests/${request.id}).`),
    },
  );

  if (result.status === "denied") {
    console.log(`Denied: ${result.reason ?? "no reason given"}. Nothing was refunded.`);
    return EXIT_DENIED;
  }
  if (result.status !== "approved") {
    console.log(`No approval: the request is ${result.status}. Nothing was refunded.`);
    return EXIT_NOT_DECIDED;
  }
  console.log(`Approved (${result.request.decision?.by}).`);

  // 2. Redeem the grant right before acting, for exactly this action and these
  //    params. It succeeds once; a replay or other params are refused. An
  //    executor in another service would do this step with the token alone.
  const redemption = await cs.redeemGrant(result.grant.token!, { action, params });
  console.log(`Grant ${redemption.grant_id} redeemed: this exact refund is approved, and only once. Refunding now.`);

  // 3. Act, then 4. report how it went.
  let refundId: string;
  try {
    refundId = await issueRefund(customer, amount);
  } catch (error) {
    await cs.reportOutcome(result.request.id, { status: "failed", detail: String(error) });
    throw error;
  }
  console.log(`Refunded $${amount.toFixed(2)} to customer ${customer} (refund ${refundId}).`);
  await cs.reportOutcome(result.request.id, { status: "succeeded", detail: `refund ${refundId}` });
  console.log("Reported the outcome to Countersign: succeeded.");
  return 0;
}

/**
 * The same in one call: `guard` asks, waits, redeems, runs the function and
 * reports the outcome; a denial throws ApprovalDeniedError, and expiry or a
 * timeout ApprovalNotGrantedError, without running it. The top-level `guard`
 * reads COUNTERSIGN_URL and COUNTERSIGN_AGENT_KEY when called. (Not called here.)
 */
const guardedRefund = guard(
  "payments.refund",
  (customer: string, amount: number) => issueRefund(customer, amount),
  (customer, amount) => ({
    summary: `Refund $${amount.toFixed(2)} to customer ${customer}`,
    resource: `customer:${customer}`,
    params: { amount, currency: "USD" },
  }),
);

main().then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    console.error(error instanceof CountersignError ? `Countersign refused: ${error.message}` : error);
    process.exitCode = 1;
  },
);
