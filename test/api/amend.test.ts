import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAdminToken } from "../../lib/admin-tokens/admin-tokens.ts";
import { canonicalSha256 } from "../../lib/crypto.ts";
import { db } from "../../lib/db.ts";
import { closeHub } from "../../lib/events/hub.ts";
import { createRule } from "../../lib/policy/rules.ts";
import {
  baseUrl,
  createPending,
  expectProblem,
  expectValidationError,
  getRequest,
  newAgent,
  newUser,
  redeem,
  reviewerFetch,
  signIn,
  type TestAgent,
  unique,
} from "../support/fixtures.ts";

// Amend on approve (API 1.1): a reviewer changes the params a rule allows,
// and the grant binds exactly the amended params.

let agent: TestAgent; // rules: refunds ≤ 1000 (1 approval, amount and note editable), > 1000 (2 approvals)
let agentMofN: TestAgent; // rule: 2 approvals, amount editable
let ruleName: string;
let cookies: string[];
let emails: string[];

beforeAll(async () => {
  [agent, agentMofN] = await Promise.all([newAgent(), newAgent()]);
  ruleName = unique("amendable");
  await createRule({
    definition: {
      name: ruleName,
      agents: { names: [agent.name] },
      actions: ["payments.refund"],
      condition: "params.amount <= 1000",
      effect: "require_approval",
      reviewers_may_edit: ["amount", "note"],
    },
    position: 0,
    actor: "test",
  });
  await createRule({
    definition: {
      name: unique("large"),
      agents: { names: [agent.name] },
      actions: ["payments.refund"],
      condition: "params.amount > 1000",
      effect: "require_approval",
      approvals_required: 2,
    },
    position: 0,
    actor: "test",
  });
  await createRule({
    definition: {
      name: unique("two-of-n"),
      agents: { names: [agentMofN.name] },
      actions: ["payments.refund"],
      effect: "require_approval",
      approvals_required: 2,
      reviewers_may_edit: ["amount"],
    },
    position: 0,
    actor: "test",
  });
  const users = await Promise.all([0, 1, 2, 3].map(() => newUser("reviewer")));
  emails = users.map((u) => u.email);
  cookies = await Promise.all(users.map((u) => signIn(u)));
});
afterAll(async () => {
  await closeHub();
});

function approve(cookie: string, id: string, body: Record<string, unknown>): Promise<Response> {
  return reviewerFetch(cookie, `/api/v1/requests/${id}/decisions`, { method: "POST", json: { decision: "approve", ...body } });
}

function rawDecision(cookie: string, id: string, body: string): Promise<Response> {
  return reviewerFetch(cookie, `/api/v1/requests/${id}/decisions`, { method: "POST", body, headers: { "content-type": "application/json" } });
}

function claims(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString("utf8"));
}

async function auditData(requestId: string, type: string) {
  const rows = await db().selectFrom("auditEvents").select("data").where("requestId", "=", requestId).where("type", "=", type).execute();
  return rows.map((r) => r.data as Record<string, unknown>);
}

const ORIGINAL = { amount: 500, currency: "USD" };
const AMENDED = { amount: 450, currency: "USD", note: "partial refund" };

describe("amend on approve", () => {
  it("an allowed edit is approved, recorded, and redeemable only with the amended params", async () => {
    const { id } = await createPending(agent, { params: ORIGINAL });
    const res = await approve(cookies[0], id, { reason: "the duplicate charge was 450", params: AMENDED });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({
      status: "approved",
      params: AMENDED,
      params_sha256: canonicalSha256(AMENDED),
      original_params: ORIGINAL,
      original_params_sha256: canonicalSha256(ORIGINAL),
      amended_by: emails[0],
    });

    const seen = await getRequest(agent, id);
    expect(seen).toMatchObject({ params: AMENDED, original_params: ORIGINAL, amended_by: emails[0] });
    expect(claims(seen.grant.token).params_sha256).toBe(canonicalSha256(AMENDED));

    // The executor must present the amended params: the agent's original ones are refused.
    await expectProblem(await redeem({ token: seen.grant.token, action: "payments.refund", params: ORIGINAL }), 422, "grant_mismatch");
    const redeemed = await redeem({ token: seen.grant.token, action: "payments.refund", params: AMENDED });
    expect(redeemed.status).toBe(200);
    expect((await redeemed.json()).params).toEqual(AMENDED);

    const [vote] = await auditData(id, "request.vote_recorded");
    expect(vote.amendment).toEqual({ from_sha256: canonicalSha256(ORIGINAL), to_sha256: canonicalSha256(AMENDED), changed: ["amount", "note"] });
    const [approved] = await auditData(id, "request.approved");
    expect(approved).toMatchObject({ params_sha256: canonicalSha256(AMENDED), original_params_sha256: canonicalSha256(ORIGINAL), amended_by: emails[0] });
  });

  it("an unamended request says so, and params equal to the current ones are a plain approval", async () => {
    const { id, body: created } = await createPending(agent, { params: ORIGINAL });
    expect(created).toMatchObject({ original_params: null, original_params_sha256: null, amended_by: null });
    const res = await approve(cookies[0], id, { params: { currency: "USD", amount: 500 } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: "approved", params: ORIGINAL, original_params: null, amended_by: null });
  });

  it("refuses an edit of a name the rule does not list, naming it, and changes nothing", async () => {
    const { id } = await createPending(agent, { params: ORIGINAL });
    const problem = await expectProblem(
      await approve(cookies[0], id, { reason: "r", params: { amount: 400, currency: "EUR", extra: 1 } }),
      422,
      "edit_not_allowed",
    );
    expect(problem.errors?.map((e) => e.path).sort()).toEqual(["params.currency", "params.extra"]);
    expect(problem.detail).toMatch(/currency/);
    // Removing a name is a change too.
    await expectProblem(await approve(cookies[0], id, { reason: "r", params: { amount: 500 } }), 422, "edit_not_allowed");
    const seen = await getRequest(agent, id);
    expect(seen).toMatchObject({ status: "pending", params: ORIGINAL, original_params: null });
  });

  it("requires a reason to amend, and params only with approve", async () => {
    const { id } = await createPending(agent, { params: ORIGINAL });
    await expectValidationError(await approve(cookies[0], id, { params: AMENDED }), "reason");
    await expectValidationError(
      await reviewerFetch(cookies[0], `/api/v1/requests/${id}/decisions`, { method: "POST", json: { decision: "deny", reason: "no", params: AMENDED } }),
      "params",
    );
    expect((await getRequest(agent, id)).status).toBe("pending");
  });

  it("refuses an edit that another rule would handle (edit_changes_policy)", async () => {
    const { id } = await createPending(agent, { params: ORIGINAL });
    const problem = await expectProblem(await approve(cookies[0], id, { reason: "more", params: { ...ORIGINAL, amount: 5000 } }), 422, "edit_changes_policy");
    expect(problem.detail).toContain(ruleName);
    expect(await getRequest(agent, id)).toMatchObject({ status: "pending", params: ORIGINAL });
  });

  it("with M-of-N an edit is the proposal: earlier approvals stop counting, M approvals of the amended params are needed", async () => {
    const { id } = await createPending(agentMofN, { params: ORIGINAL });
    expect((await approve(cookies[0], id, {})).status).toBe(200);
    expect((await getRequest(agentMofN, id)).approvals).toHaveLength(1);

    const proposal = { ...ORIGINAL, amount: 300 };
    const res = await approve(cookies[1], id, { reason: "only 300 was charged twice", params: proposal });
    expect(res.status).toBe(200);
    const afterEdit = await res.json();
    expect(afterEdit).toMatchObject({ status: "pending", params: proposal, original_params: ORIGINAL, amended_by: emails[1] });
    expect(afterEdit.approvals.map((a: { reviewer: string }) => a.reviewer)).toEqual([emails[1]]);

    const item = await (await reviewerFetch(cookies[2], `/api/v1/review/requests/${id}`)).json();
    expect(item.votes.map((v: { reviewer: string; counts: boolean }) => [v.reviewer, v.counts])).toEqual([
      [emails[0], false],
      [emails[1], true],
    ]);
    expect(item.reviewers_may_edit).toEqual(["amount"]);

    const done = await approve(cookies[2], id, {});
    expect(done.status).toBe(200);
    const final = await getRequest(agentMofN, id);
    expect(final).toMatchObject({ status: "approved", params: proposal, original_params: ORIGINAL });
    expect(claims(final.grant.token)).toMatchObject({ params_sha256: canonicalSha256(proposal), approved_by: [emails[1], emails[2]] });
  });

  it("a second edit replaces the proposal; amending back to the agent's params makes the request unamended again", async () => {
    const { id } = await createPending(agentMofN, { params: ORIGINAL });
    expect((await approve(cookies[0], id, { reason: "a", params: { ...ORIGINAL, amount: 300 } })).status).toBe(200);
    const back = await approve(cookies[1], id, { reason: "b", params: ORIGINAL });
    expect(back.status).toBe(200);
    const body = await back.json();
    expect(body).toMatchObject({ status: "pending", params: ORIGINAL, original_params: null, original_params_sha256: null, amended_by: null });
    expect(body.approvals.map((a: { reviewer: string }) => a.reviewer)).toEqual([emails[1]]);
  });

  it("approve-with-edit racing approve-without: exactly one wins, and the request is consistent with the winner", async () => {
    for (let round = 0; round < 4; round++) {
      const { id } = await createPending(agent, { params: ORIGINAL });
      const [edit, plain] = await Promise.all([approve(cookies[0], id, { reason: "edit", params: AMENDED }), approve(cookies[1], id, { reason: "plain" })]);
      expect([edit.status, plain.status].sort()).toEqual([200, 409]);
      const seen = await getRequest(agent, id);
      expect(seen.status).toBe("approved");
      expect(claims(seen.grant.token).params_sha256).toBe(seen.params_sha256);
      if (edit.status === 200) {
        expect(seen).toMatchObject({ params: AMENDED, original_params: ORIGINAL, amended_by: emails[0] });
        expect(seen.approvals.map((a: { reviewer: string }) => a.reviewer)).toEqual([emails[0]]);
      } else {
        expect(seen).toMatchObject({ params: ORIGINAL, original_params: null, amended_by: null });
        expect(seen.approvals.map((a: { reviewer: string }) => a.reviewer)).toEqual([emails[1]]);
      }
    }
  });

  it("odd params never reach the database and never answer 5xx", async () => {
    const { id } = await createPending(agent, { params: ORIGINAL });
    const bodies = [
      '{"decision":"approve","reason":"r","params":{"amount":400,"amount":450,"currency":"USD"}}',
      '{"decision":"approve","reason":"r","params":{"amount":400,"currency":"USD","note":{"__proto__":{"x":1}}}}',
      '{"decision":"approve","reason":"r","params":{"amount":400,"currency":"USD","__proto__":{}}}',
      '{"decision":"approve","reason":"r","params":{"amount":400,"currency":"USD","note":"\\u0000"}}',
      '{"decision":"approve","reason":"r","params":{"amount":400,"currency":"USD","note":"\\ud800"}}',
      `{"decision":"approve","reason":"r","params":{"amount":400,"currency":"USD","note":${"[".repeat(40)}${"]".repeat(40)}}}`,
      '{"decision":"approve","reason":"r","params":[1,2]}',
      '{"decision":"approve","reason":"r","params":null}',
      '{"decision":"approve","reason":"r","params":{"amount":1e999,"currency":"USD"}}',
    ];
    for (const body of bodies) {
      const res = await rawDecision(cookies[0], id, body);
      expect(res.status, body).toBe(422);
    }
    const huge = JSON.stringify({ decision: "approve", reason: "r", params: { amount: 400, currency: "USD", note: "x".repeat(70_000) } });
    expect((await rawDecision(cookies[0], id, huge)).status).toBe(413);
    // Just under the body limit: a big (allowed) note is accepted like an agent's would be.
    const big = { amount: 400, currency: "USD", note: "y".repeat(60_000) };
    const ok = await approve(cookies[0], id, { reason: "big note", params: big });
    expect(ok.status).toBe(200);
    expect((await getRequest(agent, id)).params_sha256).toBe(canonicalSha256(big));
  });

  it("the policy file carries reviewers_may_edit", async () => {
    const { token } = await createAdminToken({ name: unique("ci"), actor: "test" });
    const res = await fetch(`${baseUrl()}/api/v1/admin/policies`, { headers: { authorization: `Bearer ${token}`, accept: "application/yaml" } });
    expect(res.status).toBe(200);
    const yaml = await res.text();
    const block = yaml.slice(yaml.indexOf(`name: ${ruleName}`));
    expect(block.slice(0, block.indexOf("- name:") > 0 ? block.indexOf("- name:") : undefined)).toMatch(/reviewers_may_edit:\s*\n\s*- amount\n\s*- note/);
  });
});
