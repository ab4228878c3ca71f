import { ApprovalDeniedError, ApprovalNotGrantedError, type ApprovalRequest } from "@countersign/sdk";
import { afterAll, describe, expect, it } from "vitest";
import { closeHub } from "../../../lib/events/hub.ts";
import { autoReviewerFor, getRequest, newAgent, type TestAgent } from "../../../test/support/fixtures.ts";
import { clientFor, ruleFor, uniqueAction } from "./helpers.ts";

afterAll(async () => {
  await closeHub();
});

/** The request `guard` made for `agent` (each test's agent makes exactly one). */
async function onlyRequest(agent: TestAgent): Promise<ApprovalRequest> {
  const { data } = await clientFor(agent).listRequests();
  expect(data).toHaveLength(1);
  return getRequest(agent, data[0].id);
}

const refund =
  (decision = "approve") =>
  (customer: string, amount: number) => ({
    summary: `Refund ${amount} to ${customer}`,
    resource: `customer:${customer}`,
    params: { customer, amount },
    context: { labels: { test_decision: decision } },
  });

describe("guard", () => {
  it("runs the function once, after redeeming the grant for its params, and reports success", async () => {
    const agent = await newAgent();
    const reviewer = await autoReviewerFor(agent);
    const client = clientFor(agent);
    try {
      const runs: { args: unknown[]; grantRedeemed: boolean }[] = [];
      const doRefund = client.guard(
        uniqueAction("payments"),
        async (customer: string, amount: number) => {
          const { data } = await client.listRequests();
          runs.push({ args: [customer, amount], grantRedeemed: data[0].grant?.redeemed_at != null });
          return `refunded ${amount}`;
        },
        refund(),
      );
      await expect(doRefund("cus_1", 500)).resolves.toBe("refunded 500");

      expect(runs).toEqual([{ args: ["cus_1", 500], grantRedeemed: true }]);
      const request = await onlyRequest(agent);
      expect(request).toMatchObject({ status: "approved", params: { customer: "cus_1", amount: 500 }, outcome: { status: "succeeded" } });
      expect(request.grant?.token).toBeUndefined();
    } finally {
      await reviewer.stop();
    }
  });

  it("reports a failure with the error's message and rethrows the error itself", async () => {
    const agent = await newAgent();
    const action = uniqueAction("payments");
    await ruleFor(agent, action, "allow");
    const boom = new Error("card processor said no");
    const doRefund = clientFor(agent).guard(
      action,
      async (_customer: string, _amount: number) => {
        throw boom;
      },
      refund(),
    );
    await expect(doRefund("cus_2", 10)).rejects.toBe(boom);
    expect((await onlyRequest(agent)).outcome).toMatchObject({ status: "failed", detail: "card processor said no" });
  });

  it("cuts a long error message to what the outcome takes", async () => {
    const agent = await newAgent();
    const action = uniqueAction("payments");
    await ruleFor(agent, action, "allow");
    const doIt = clientFor(agent).guard(
      action,
      () => {
        throw new Error("x".repeat(10_000));
      },
      () => ({ summary: "long failure" }),
    );
    await expect(doIt()).rejects.toThrow(/^x+$/);
    const detail = (await onlyRequest(agent)).outcome?.detail ?? "";
    expect(detail.length).toBe(4000);
    expect(detail.endsWith("…")).toBe(true);
  });

  it("throws ApprovalDeniedError with the reason and never calls the function", async () => {
    const agent = await newAgent();
    const reviewer = await autoReviewerFor(agent);
    try {
      let called = 0;
      const doRefund = clientFor(agent).guard(uniqueAction("payments"), (_customer: string, _amount: number) => called++, refund("deny"));
      const error = await doRefund("cus_3", 7).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ApprovalDeniedError);
      expect(error).toMatchObject({ reason: "Denied by the test reviewer", request: { status: "denied" } });
      expect(called).toBe(0);
    } finally {
      await reviewer.stop();
    }
  });

  it("throws ApprovalNotGrantedError on timeout, and withdraws the request", async () => {
    const agent = await newAgent();
    let called = 0;
    const doRefund = clientFor(agent).guard(uniqueAction("payments"), (_customer: string, _amount: number) => called++, refund("wait"), { timeoutMs: 500 });
    const error = await doRefund("cus_4", 1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApprovalNotGrantedError);
    expect(error).toMatchObject({ status: "pending", request: { status: "cancelled" } });
    expect(called).toBe(0);
    expect((await onlyRequest(agent)).status).toBe("cancelled");
  });

  it("throws ApprovalNotGrantedError when the request expires", async () => {
    const agent = await newAgent();
    const doIt = clientFor(agent).guard(
      uniqueAction("payments"),
      () => "ran",
      () => ({ summary: "expires", expires_in: 1, context: { labels: { test_decision: "wait" } } }),
    );
    await expect(doIt()).rejects.toMatchObject({ name: "ApprovalNotGrantedError", status: "expired" });
  });

  it("never fails a successful call because the outcome could not be reported", async () => {
    const agent = await newAgent();
    const action = uniqueAction("payments");
    await ruleFor(agent, action, "allow");
    const warnings: string[] = [];
    const client = clientFor(agent, {
      retry: { attempts: 1 },
      onWarning: (message) => warnings.push(message),
      fetch: async (input, init) => (String(input).endsWith("/outcome") ? new Response("nope", { status: 500 }) : fetch(input, init)),
    });
    await expect(
      client.guard(
        action,
        () => 42,
        () => ({ summary: "outcome lost" }),
      )(),
    ).resolves.toBe(42);
    expect(warnings).toEqual([expect.stringMatching(/could not report the outcome \(succeeded\)/)]);
  });
});
