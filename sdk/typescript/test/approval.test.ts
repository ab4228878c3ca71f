import { Countersign, type ApprovalRequest } from "@countersign/sdk";
import { afterAll, describe, expect, it } from "vitest";
import { closeHub } from "../../../lib/events/hub.ts";
import { autoReviewerFor, decide, newAgent, newUser, signIn } from "../../../test/support/fixtures.ts";
import { clientFor, ruleFor, uniqueAction, wrapFetch } from "./helpers.ts";

afterAll(async () => {
  await closeHub();
});

const ask = (action: string, labels: Record<string, string> = {}) => ({
  action,
  summary: `Test ${action}`,
  resource: "customer:cus_123",
  params: { amount: 500, currency: "USD" },
  context: { labels },
});

describe("requestApproval", () => {
  it("returns approved with a grant at once when a rule allows the action, without waiting", async () => {
    const agent = await newAgent();
    const action = uniqueAction();
    const ruleId = await ruleFor(agent, action, "allow");
    const { fetch, calls } = wrapFetch(({ real }) => real());
    const pending: ApprovalRequest[] = [];

    const result = await clientFor(agent, { fetch }).requestApproval(ask(action), { onPending: (r) => pending.push(r) });

    expect(result.status).toBe("approved");
    if (result.status !== "approved") return;
    expect(result.grant.token).toMatch(/^ey/);
    expect(result.grant.id).toMatch(/^grt_/);
    expect(result.grant.expires_at).toBe(result.request.grant?.expires_at);
    expect(result.request).toMatchObject({ action, status: "approved", decision: { by: `policy:${ruleId}` } });
    expect(calls.map((c) => c.method)).toEqual(["POST"]);
    expect(pending).toEqual([]);
  });

  it("returns denied with the rule's reason at once", async () => {
    const agent = await newAgent();
    const action = uniqueAction();
    await ruleFor(agent, action, "deny", { reason: "Never from the SDK test" });
    const result = await clientFor(agent).requestApproval(ask(action));
    expect(result).toMatchObject({ status: "denied", reason: "Never from the SDK test", request: { status: "denied", grant: null } });
  });

  it("waits while a reviewer decides: pending → approved with a grant", async () => {
    const agent = await newAgent();
    const reviewer = await autoReviewerFor(agent);
    try {
      const pending: ApprovalRequest[] = [];
      const result = await clientFor(agent).requestApproval(ask(uniqueAction()), { onPending: (r) => pending.push(r) });
      expect(result.status).toBe("approved");
      if (result.status !== "approved") return;
      expect(result.grant.token).toMatch(/^ey/);
      expect(result.request.approvals).toHaveLength(1);
      expect(pending.map((r) => [r.id, r.status])).toEqual([[result.request.id, "pending"]]);
      await reviewer.settled();
      expect(reviewer.decided).toContainEqual({ id: result.request.id, decision: "approve", status: 200 });
    } finally {
      await reviewer.stop();
    }
  });

  it("returns denied with the reviewer's reason", async () => {
    const agent = await newAgent();
    const reviewer = await autoReviewerFor(agent);
    try {
      const result = await clientFor(agent).requestApproval(ask(uniqueAction(), { test_decision: "deny" }));
      expect(result).toMatchObject({ status: "denied", reason: "Denied by the test reviewer" });
    } finally {
      await reviewer.stop();
    }
  });

  it("answers expired when nobody decides before the request's own expiry", async () => {
    const agent = await newAgent();
    const result = await clientFor(agent).requestApproval({ ...ask(uniqueAction(), { test_decision: "wait" }), expires_in: 1 });
    expect(result).toMatchObject({ status: "expired", request: { status: "expired", decision: { status: "expired", by: "system" } } });
  });

  it("answers pending at the caller's deadline; waitForDecision resumes and gets the grant", async () => {
    const agent = await newAgent();
    const client = clientFor(agent);
    const result = await client.requestApproval(ask(uniqueAction(), { test_decision: "wait" }), { timeoutMs: 1000 });
    expect(result.status).toBe("pending");
    expect(result.request.status).toBe("pending");

    const waiting = client.waitForDecision(result.request.id);
    const cookie = await signIn(await newUser("reviewer"));
    expect((await decide(cookie, result.request.id, "approve", "late but fine")).status).toBe(200);
    const resumed = await waiting;
    expect(resumed.status).toBe("approved");
    if (resumed.status === "approved") expect(resumed.grant.token).toMatch(/^ey/);
    // Asked again once decided, it answers at once.
    expect((await client.waitForDecision(result.request.id, { timeoutMs: 0 })).status).toBe("approved");
  });

  it("waitForDecision with timeoutMs 0 reads the status once", async () => {
    const agent = await newAgent();
    const { fetch, calls } = wrapFetch(({ real }) => real());
    const client = clientFor(agent, { fetch });
    const created = await client.createRequest(ask(uniqueAction(), { test_decision: "wait" }));
    const result = await client.waitForDecision(created.id, { timeoutMs: 0 });
    expect(result).toMatchObject({ status: "pending", request: { id: created.id } });
    expect(calls.map((c) => new URL(c.url).search)).toEqual(["", "?wait=0"]);
  });

  it("stops an in-flight long-wait when the signal aborts, rejecting with the signal's reason", async () => {
    const agent = await newAgent();
    const controller = new AbortController();
    const reason = new Error("the user gave up");
    const { fetch } = wrapFetch(({ url, real }) => {
      // Abort once the long-wait is on the wire.
      if (url.includes("wait=")) setImmediate(() => controller.abort(reason));
      return real();
    });
    const client = clientFor(agent, { fetch });
    await expect(client.requestApproval(ask(uniqueAction(), { test_decision: "wait" }), { signal: controller.signal })).rejects.toBe(reason);
  });

  it("rejects with an AbortError, sending nothing, when the signal is already aborted", async () => {
    const agent = await newAgent();
    const { fetch, calls } = wrapFetch(({ real }) => real());
    const controller = new AbortController();
    controller.abort();
    const error = await clientFor(agent, { fetch })
      .requestApproval(ask(uniqueAction()), { signal: controller.signal })
      .catch((e: unknown) => e);
    expect((error as Error).name).toBe("AbortError");
    expect(calls).toHaveLength(0);
  });

  it("answers cancelled when the agent withdraws the request while waiting", async () => {
    const agent = await newAgent();
    const client = clientFor(agent);
    let seen!: (request: ApprovalRequest) => void;
    const pending = new Promise<ApprovalRequest>((resolve) => (seen = resolve));
    const result = client.requestApproval(ask(uniqueAction(), { test_decision: "wait" }), { onPending: seen });
    const { id } = await pending;
    const cancelled = await client.cancel(id);
    expect(cancelled).toMatchObject({ status: "cancelled", decision: { by: "agent" } });
    expect(await result).toMatchObject({ status: "cancelled", request: { id } });
  });

  it("returns the original request, still approved, when an idempotency key is repeated", async () => {
    const agent = await newAgent();
    const action = uniqueAction();
    await ruleFor(agent, action, "allow");
    const client = clientFor(agent);
    const first = await client.requestApproval(ask(action), { idempotencyKey: "sdk-repeat-1" });
    const again = await client.requestApproval(ask(action), { idempotencyKey: "sdk-repeat-1" });
    expect(again.request.id).toBe(first.request.id);
    expect(again.status).toBe("approved");
  });

  it("still answers approved once the grant was redeemed, with no token to redeem again", async () => {
    const agent = await newAgent();
    const action = uniqueAction();
    await ruleFor(agent, action, "allow");
    const client = clientFor(agent);
    const first = await client.requestApproval(ask(action), { idempotencyKey: "sdk-redeemed-1" });
    if (first.status !== "approved" || !first.grant.token) throw new Error("expected a live grant");
    await client.redeemGrant(first.grant.token);
    const again = await client.waitForDecision(first.request.id);
    expect(again).toMatchObject({ status: "approved", grant: { id: first.grant.id, token: null, redeemed_at: expect.any(String) } });
  });
});

describe("reading requests", () => {
  it("getRequest and listRequests show the agent's own requests, filtered and paged", async () => {
    const agent = await newAgent();
    const client = clientFor(agent);
    const made = [];
    for (let i = 0; i < 3; i++) made.push(await client.createRequest(ask(uniqueAction(), { test_decision: "wait" })));
    await client.cancel(made[0].id);

    expect(await client.getRequest(made[1].id)).toMatchObject({ id: made[1].id, status: "pending" });
    const page1 = await client.listRequests({ limit: 2 });
    expect(page1.data).toHaveLength(2);
    expect(page1.next_cursor).toEqual(expect.any(String));
    const page2 = await client.listRequests({ limit: 2, cursor: page1.next_cursor! });
    expect([...page1.data, ...page2.data].map((r) => r.id).sort()).toEqual(made.map((r) => r.id).sort());
    const pending = await client.listRequests({ status: "pending" });
    expect(pending.data.map((r) => r.id).sort()).toEqual([made[1].id, made[2].id].sort());
  });

  it("does not show another agent's request", async () => {
    const [owner, other] = [await newAgent(), await newAgent()];
    const created = await clientFor(owner).createRequest(ask(uniqueAction(), { test_decision: "wait" }));
    await expect(clientFor(other).getRequest(created.id)).rejects.toMatchObject({ name: "CountersignError", status: 404, code: "not_found" });
  });
});

describe("configuration", () => {
  it("needs a gateway URL, and an agent key for agent calls, before anything is sent", async () => {
    const saved = { url: process.env.COUNTERSIGN_URL, key: process.env.COUNTERSIGN_AGENT_KEY };
    delete process.env.COUNTERSIGN_URL;
    delete process.env.COUNTERSIGN_AGENT_KEY;
    try {
      expect(() => new Countersign()).toThrow(/COUNTERSIGN_URL/);
      const { fetch, calls } = wrapFetch(({ real }) => real());
      const keyless = new Countersign({ url: "http://127.0.0.1:9", fetch });
      await expect(keyless.createRequest(ask(uniqueAction()))).rejects.toThrow(/COUNTERSIGN_AGENT_KEY/);
      expect(calls).toHaveLength(0);
    } finally {
      if (saved.url !== undefined) process.env.COUNTERSIGN_URL = saved.url;
      if (saved.key !== undefined) process.env.COUNTERSIGN_AGENT_KEY = saved.key;
    }
  });

  it("sends its user agent, and accepts a URL with a trailing slash", async () => {
    const agent = await newAgent();
    const { fetch, calls } = wrapFetch(({ real }) => real());
    const client = new Countersign({ url: `${clientFor(agent).url}/`, agentKey: agent.key, fetch, userAgent: "sdk-test/1" });
    await client.listRequests();
    expect(calls[0].url).not.toContain("//api");
    expect(calls[0].headers.get("user-agent")).toBe("sdk-test/1");
  });
});
