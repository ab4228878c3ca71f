import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAdminToken } from "../../lib/admin-tokens/admin-tokens.ts";
import { db } from "../../lib/db.ts";
import { closeHub } from "../../lib/events/hub.ts";
import { createRule } from "../../lib/policy/rules.ts";
import { baseUrl, createPending, getRequest, newAgent, newUser, reviewerFetch, signIn, unique, type TestAgent } from "../support/fixtures.ts";

// A condition that errors at run time fails closed (a match for
// require_approval): the request, its audit event, the reviewer's view and a
// metric per rule say so, instead of nothing at all.

let agent: TestAgent;
let ruleId: string;
let ruleName: string;
let reviewerCookie: string;
let adminToken: string;

beforeAll(async () => {
  agent = await newAgent();
  ruleName = unique("refunds");
  ({ ruleId } = await createRule({
    definition: {
      name: ruleName,
      agents: { names: [agent.name] },
      actions: ["payments.refund"],
      condition: 'params.amount > "1000"',
      effect: "require_approval",
      approvals_required: 2,
    },
    position: 0,
    actor: "test",
  }));
  reviewerCookie = await signIn(await newUser("reviewer"));
  ({ token: adminToken } = await createAdminToken({ name: unique("ci"), actor: "test" }));
});
afterAll(async () => {
  await closeHub();
});

const expectedError = () => ({ rule_id: ruleId, rule_name: ruleName, rule_version: 1, error: expect.stringMatching(/\S/), treated_as: "match" });

async function createdEvent(requestId: string) {
  const e = await db()
    .selectFrom("auditEvents")
    .select("data")
    .where("requestId", "=", requestId)
    .where("type", "=", "request.created")
    .executeTakeFirstOrThrow();
  return e.data as Record<string, unknown>;
}

async function errorCount(): Promise<number> {
  const text = await (await fetch(`${baseUrl()}/api/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`countersign_policy_condition_errors_total{rule="${ruleName}"}`));
  return line ? Number(line.split(" ").pop()) : 0;
}

describe("a condition that errors at run time", () => {
  it("is recorded in request.created, shown to reviewers (not the agent) and counted per rule", async () => {
    const before = await errorCount();
    // $50 is not over 1000, yet the broken comparison makes the rule apply.
    const { id, body } = await createPending(agent, { params: { amount: 50, currency: "USD" } });
    expect(body).toMatchObject({ status: "pending", policy: { id: ruleId, approvals_required: 2 } });

    expect((await createdEvent(id)).condition_errors).toEqual([expectedError()]);

    const item = await (await reviewerFetch(reviewerCookie, `/api/v1/review/requests/${id}`)).json();
    expect(item.condition_errors).toEqual([expectedError()]);
    const list = await (await reviewerFetch(reviewerCookie, `/api/v1/review/requests?limit=100`)).json();
    expect(list.data.find((r: { id: string }) => r.id === id)?.condition_errors).toEqual([expectedError()]);

    const own = await getRequest(agent, id);
    expect(own).not.toHaveProperty("condition_errors");
    expect(JSON.stringify(own)).not.toContain("errored");

    expect(await errorCount()).toBe(before + 1);
    await createPending(agent, { params: { amount: 5000 } });
    expect(await errorCount()).toBe(before + 2);
  });

  it("leaves nothing behind when every condition evaluates", async () => {
    const other = await newAgent();
    const { id } = await createPending(other);
    expect((await createdEvent(id)).condition_errors).toEqual([]);
    const item = await (await reviewerFetch(reviewerCookie, `/api/v1/review/requests/${id}`)).json();
    expect(item.condition_errors).toEqual([]);
  });

  it("shows in a simulation of the draft over recent requests, per request", async () => {
    const { id } = await createPending(agent, { params: { amount: 75 } });
    const res = await fetch(`${baseUrl()}/api/v1/admin/policies/simulate`, {
      method: "POST",
      headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
      body: JSON.stringify({
        rule: {
          name: unique("draft"),
          agents: { names: [agent.name] },
          actions: ["payments.refund"],
          condition: 'params.amount > "500"',
          effect: "require_approval",
        },
        last_n: 50,
      }),
    });
    expect(res.status).toBe(200);
    const { data } = await res.json();
    const row = data.find((r: { source: string }) => r.source === id);
    expect(row.draft_condition_error).toEqual({ error: expect.stringMatching(/\S/), treated_as: "match" });
    // The saved broken rule sits first and decides it today: the draft changes nothing, yet its error is shown.
    expect(row.current.condition_errors).toEqual([expectedError()]);
  });
});
