import { ApprovalAmendedError } from "@countersign/sdk";
import { afterAll, describe, expect, it } from "vitest";
import { closeHub } from "../../../lib/events/hub.ts";
import { createRule } from "../../../lib/policy/rules.ts";
import { autoReviewerFor, getRequest, newAgent, type TestAgent, unique } from "../../../test/support/fixtures.ts";
import { clientFor, uniqueAction } from "./helpers.ts";

afterAll(async () => {
  await closeHub();
});

/** A rule that sends `action` of `agent` to reviewers, who may amend `amount`. */
async function amendableRule(agent: TestAgent, action: string): Promise<void> {
  await createRule({
    definition: { name: unique("sdk-amend"), agents: { names: [agent.name] }, actions: [action], effect: "require_approval", reviewers_may_edit: ["amount"] },
    actor: "test",
  });
}

const refund = (amend?: Record<string, unknown>) => (customer: string, amount: number) => ({
  summary: `Refund ${amount} to ${customer}`,
  params: { customer, amount },
  context: { labels: (amend ? { test_amend: JSON.stringify(amend) } : {}) as Record<string, string> },
});

describe("amended approvals", () => {
  it("requestApproval hands back the approved params, amended: true and the original params", async () => {
    const agent = await newAgent();
    const action = uniqueAction("payments");
    await amendableRule(agent, action);
    const reviewer = await autoReviewerFor(agent);
    try {
      const result = await clientFor(agent).requestApproval({ action, ...refund({ amount: 450 })("cus_1", 500) });
      expect(result.status).toBe("approved");
      if (result.status !== "approved") return;
      expect(result).toMatchObject({ amended: true, params: { customer: "cus_1", amount: 450 }, original_params: { customer: "cus_1", amount: 500 } });
      expect(result.request.amended_by).toMatch(/@/);
      // The grant binds the amended params: redeeming with them succeeds.
      const redeemed = await clientFor(agent).redeemGrant(result.grant.token!, { action, params: result.params });
      expect(redeemed.params).toEqual({ customer: "cus_1", amount: 450 });
    } finally {
      await reviewer.stop();
    }
  });

  it("an unamended approval says amended: false", async () => {
    const agent = await newAgent();
    const action = uniqueAction("payments");
    await amendableRule(agent, action);
    const reviewer = await autoReviewerFor(agent);
    try {
      const result = await clientFor(agent).requestApproval({ action, ...refund()("cus_2", 70) });
      expect(result).toMatchObject({ status: "approved", amended: false, params: { customer: "cus_2", amount: 70 }, original_params: null });
    } finally {
      await reviewer.stop();
    }
  });

  it("guard runs with the approved params through withApprovedParams, and redeems the amended grant", async () => {
    const agent = await newAgent();
    const action = uniqueAction("payments");
    await amendableRule(agent, action);
    const reviewer = await autoReviewerFor(agent);
    try {
      const ran: unknown[][] = [];
      const doRefund = clientFor(agent).guard(action, (customer: string, amount: number) => ran.push([customer, amount]), refund({ amount: 300 }), {
        withApprovedParams: (params, [customer]): [string, number] => [customer, params.amount as number],
      });
      await doRefund("cus_3", 500);
      expect(ran).toEqual([["cus_3", 300]]);
      const { data } = await clientFor(agent).listRequests();
      const request = await getRequest(agent, data[0].id);
      expect(request).toMatchObject({ status: "approved", params: { amount: 300 }, original_params: { amount: 500 }, outcome: { status: "succeeded" } });
      expect(request.grant.redeemed_at).not.toBeNull();
    } finally {
      await reviewer.stop();
    }
  });

  it("guard refuses to run an amended approval it was not told how to apply", async () => {
    const agent = await newAgent();
    const action = uniqueAction("payments");
    await amendableRule(agent, action);
    const reviewer = await autoReviewerFor(agent);
    try {
      let ran = false;
      const doRefund = clientFor(agent).guard(
        action,
        (_customer: string, _amount: number) => {
          ran = true;
        },
        refund({ amount: 1 }),
      );
      const error = await doRefund("cus_4", 500).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ApprovalAmendedError);
      expect((error as ApprovalAmendedError).params).toEqual({ customer: "cus_4", amount: 1 });
      expect(ran).toBe(false);
    } finally {
      await reviewer.stop();
    }
  });
});
