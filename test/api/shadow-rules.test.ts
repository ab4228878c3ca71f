import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAdminToken } from "../../lib/admin-tokens/admin-tokens.ts";
import { db } from "../../lib/db.ts";
import { closeHub } from "../../lib/events/hub.ts";
import { pruneShadowHits } from "../../lib/policy/shadow-hits.ts";
import { baseUrl, createPending, decide, getRequest, newAgent, newUser, reviewerFetch, signIn, unique, type TestAgent } from "../support/fixtures.ts";

// Shadow rules (API 1.1): tried on every request, recorded on it, its audit
// event and the reviewer's view, counted in the console, and never change an
// outcome until promoted, in one audited step. "Propose a rule" turns a
// decision into a bounded shadow rule.

let agent: TestAgent;
let adminToken: string;
let adminCookie: string;

beforeAll(async () => {
  agent = await newAgent();
  ({ token: adminToken } = await createAdminToken({ name: unique("ci"), actor: "test" }));
  adminCookie = await signIn(await newUser("admin"));
});
afterAll(async () => {
  await closeHub();
});

function adminFetch(path: string, init: RequestInit & { json?: unknown } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set("authorization", `Bearer ${adminToken}`);
  if (init.json !== undefined) headers.set("content-type", "application/json");
  return fetch(baseUrl() + path, { ...init, headers, body: init.json !== undefined ? JSON.stringify(init.json) : init.body });
}

async function createRule(definition: Record<string, unknown>): Promise<any> {
  const res = await adminFetch("/api/v1/admin/policies/rules", { method: "POST", json: definition });
  expect(res.status, await res.clone().text()).toBe(201);
  return res.json();
}

async function createdEvent(requestId: string) {
  const e = await db()
    .selectFrom("auditEvents")
    .select("data")
    .where("requestId", "=", requestId)
    .where("type", "=", "request.created")
    .executeTakeFirstOrThrow();
  return e.data as Record<string, unknown>;
}

const reviewView = async (id: string) => (await reviewerFetch(adminCookie, `/api/v1/review/requests/${id}`)).json();

describe("shadow rules", () => {
  let denyBig: any;
  let allowSmall: any;

  it("are saved with mode shadow and never change the outcome, while each match is recorded", async () => {
    denyBig = await createRule({
      name: unique("shadow-deny-big"),
      mode: "shadow",
      agents: { names: [agent.name] },
      actions: ["payments.refund"],
      condition: "params.amount > 1000",
      effect: "deny",
      reason: "too big",
    });
    allowSmall = await createRule({
      name: unique("shadow-allow-small"),
      mode: "shadow",
      agents: { names: [agent.name] },
      actions: ["payments.*"],
      condition: "params.amount <= 100",
      effect: "allow",
    });
    expect(denyBig).toMatchObject({ version: 1, definition: { mode: "shadow" }, shadow_hits: { count: 0, capped: false, last_hit_at: null } });

    const big = await createPending(agent, { params: { amount: 5000, currency: "USD" } });
    // The deny in shadow did not deny: the default (one approval) applies.
    expect(big.body).toMatchObject({ status: "pending", policy: { id: "pol_builtin_default" } });
    const bigMatch = [{ rule: denyBig.name, rule_id: denyBig.id, version: 1, effect: "deny" }];
    expect((await createdEvent(big.id)).shadow_matches).toEqual(bigMatch);
    expect((await reviewView(big.id)).shadow_matches).toEqual(bigMatch);
    const list = await (await reviewerFetch(adminCookie, "/api/v1/review/requests?limit=100")).json();
    expect(list.data.find((r: { id: string }) => r.id === big.id)?.shadow_matches).toEqual(bigMatch);
    // The agent is not told how shadow policy read its request.
    const own = await getRequest(agent, big.id);
    expect(own).not.toHaveProperty("shadow_matches");
    expect(JSON.stringify(own)).not.toContain(denyBig.name);

    const small = await createPending(agent, { params: { amount: 50, currency: "USD" } });
    expect(small.body).toMatchObject({ status: "pending", grant: null });
    expect((await reviewView(small.id)).shadow_matches).toEqual([{ rule: allowSmall.name, rule_id: allowSmall.id, version: 1, effect: "allow" }]);

    const none = await createPending(agent, { action: "payments.charge", params: { amount: 500 } });
    expect((await reviewView(none.id)).shadow_matches).toEqual([]);
    expect((await createdEvent(none.id)).shadow_matches).toEqual([]);
  });

  it("show their hits (count and last hit) per rule in the console's API", async () => {
    const before = Date.now();
    await createPending(agent, { params: { amount: 2000, currency: "USD" } });
    // Reading rules takes an admin's or auditor's session.
    const rule = await (await reviewerFetch(adminCookie, `/api/v1/admin/policies/rules/${denyBig.id}`)).json();
    expect(rule.shadow_hits.count).toBe(2);
    expect(Date.parse(rule.shadow_hits.last_hit_at)).toBeGreaterThanOrEqual(before - 1000);
    const list = await (await reviewerFetch(adminCookie, "/api/v1/admin/policies/rules")).json();
    const byId = new Map(list.data.map((r: any) => [r.id, r]));
    expect((byId.get(allowSmall.id) as any).shadow_hits).toMatchObject({ count: 1 });
    // Enforced rules have no hit count.
    expect(list.data.filter((r: any) => r.definition.mode === "enforce").every((r: any) => r.shadow_hits === null)).toBe(true);
  });

  it("keep their mode through the policy file (export, then import unchanged)", async () => {
    const exported = await (await adminFetch("/api/v1/admin/policies")).json();
    const mine = exported.rules.find((r: any) => r.name === denyBig.name);
    expect(mine).toMatchObject({ mode: "shadow", effect: "deny" });
    // Enforced rules are written without the default mode.
    expect(exported.rules.filter((r: any) => r.mode !== "shadow").every((r: any) => !("mode" in r))).toBe(true);
    const dry = await (await adminFetch("/api/v1/admin/policies?dry_run=true", { method: "PUT", json: exported })).json();
    expect(dry).toMatchObject({ added: [], changed: [], removed: [] });
    expect(dry.unchanged).toContain(denyBig.name);
    // Switching the mode in the file is a change, and a new version.
    const flipped = { ...exported, rules: exported.rules.map((r: any) => (r.name === allowSmall.name ? { ...r, mode: "enforce" } : r)) };
    const dry2 = await (await adminFetch("/api/v1/admin/policies?dry_run=true", { method: "PUT", json: flipped })).json();
    expect(dry2.changed).toEqual([allowSmall.name]);
  });

  it("are promoted in one audited step; of concurrent promotions exactly one wins", async () => {
    const results = await Promise.all(Array.from({ length: 4 }, () => adminFetch(`/api/v1/admin/policies/rules/${denyBig.id}/promote`, { method: "POST" })));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 409, 409, 409]);
    const winner = await results.find((r) => r.status === 200)!.json();
    expect(winner).toMatchObject({ id: denyBig.id, version: 2, definition: { mode: "enforce" }, shadow_hits: null });
    const loser = await results.find((r) => r.status === 409)!.json();
    expect(loser).toMatchObject({ code: "conflict", detail: expect.stringContaining("already enforced") });

    const events = await db()
      .selectFrom("auditEvents")
      .select(["type", "data"])
      .where("type", "=", "policy.rule_promoted")
      .where(({ ref }) => ref("data", "->>").key("rule_id" as never), "=", denyBig.id)
      .execute();
    expect(events).toHaveLength(1);
    expect(events[0].data).toMatchObject({ rule_id: denyBig.id, version: 2, before: { version: 1, definition: { mode: "shadow" } }, after: { version: 2 } });

    // Enforced now: the very next big request is denied by it.
    const res = await createPending(agent, { params: { amount: 3000, currency: "USD" } }).catch((e) => e);
    expect(res.body).toMatchObject({ status: "denied", policy: { id: denyBig.id, version: 2, effect: "deny" } });
    // Its shadow version's hits are pruned by the maintenance job; a current shadow rule's stay.
    const hitsOf = async (id: string) =>
      Number(
        (
          await db()
            .selectFrom("policyShadowHits")
            .select((eb) => eb.fn.countAll().as("n"))
            .where("ruleId", "=", id)
            .executeTakeFirstOrThrow()
        ).n,
      );
    expect(await hitsOf(denyBig.id)).toBeGreaterThan(0);
    const keptBefore = await hitsOf(allowSmall.id);
    expect(keptBefore).toBeGreaterThan(0);
    await pruneShadowHits();
    expect(await hitsOf(denyBig.id)).toBe(0);
    expect(await hitsOf(allowSmall.id)).toBe(keptBefore);
    // And its history keeps the shadow version.
    const history = await (await reviewerFetch(adminCookie, `/api/v1/admin/policies/rules/${denyBig.id}/history`)).json();
    expect(history.data.map((v: any) => [v.version, v.definition.mode])).toEqual([
      [2, "enforce"],
      [1, "shadow"],
    ]);
  });
});

describe("propose a rule from a decided request", () => {
  let proposer: TestAgent;
  let reviewerCookie: string;

  beforeAll(async () => {
    proposer = await newAgent();
    reviewerCookie = await signIn(await newUser("reviewer"));
  });

  it("proposes an allow bounded by the params approved, which is created in shadow mode and then matches", async () => {
    const first = await createPending(proposer, { params: { amount: 300, currency: "EUR" } });
    expect((await decide(reviewerCookie, first.id, "approve", "ok")).status).toBe(200);
    const second = await createPending(proposer, { params: { amount: 700, currency: "EUR" } });
    expect((await decide(reviewerCookie, second.id, "approve", "ok")).status).toBe(200);

    const res = await adminFetch(`/api/v1/admin/requests/${second.id}/proposed-rule`);
    expect(res.status, await res.clone().text()).toBe(200);
    const proposal = await res.json();
    expect(proposal).toMatchObject({
      rule: { mode: "shadow", effect: "allow", actions: ["payments.refund"], agents: { names: [proposer.name] } },
      unbounded: [],
      based_on: 2,
    });
    expect(proposal.rule.condition).toContain("params.amount <= 700");
    expect(proposal.rule.condition).toContain('params.currency == "EUR"');

    // The simulation over recent requests: the draft would have allowed both approved requests.
    const sim = await (await adminFetch("/api/v1/admin/policies/simulate", { method: "POST", json: { rule: proposal.rule, last_n: 50 } })).json();
    const rows = new Map(sim.data.map((r: any) => [r.source, r]));
    expect(rows.get(second.id)).toMatchObject({ draft_matches: true, with_draft: { effect: "allow" } });

    const created = await createRule(proposal.rule);
    expect(created).toMatchObject({ definition: { mode: "shadow" } });
    const within = await createPending(proposer, { params: { amount: 650, currency: "EUR" } });
    expect(within.body.status).toBe("pending");
    expect((await reviewView(within.id)).shadow_matches).toEqual([{ rule: created.name, rule_id: created.id, version: 1, effect: "allow" }]);
    const outside = await createPending(proposer, { params: { amount: 650, currency: "EUR", note: "extra" } });
    expect((await reviewView(outside.id)).shadow_matches).toEqual([]);
  });

  it("proposes a deny from a denial, and nothing from a pending request or unbounded params", async () => {
    const denied = await createPending(proposer, { action: "payments.payout", params: { amount: 9000 } });
    expect((await decide(reviewerCookie, denied.id, "deny", "payouts that large go to finance")).status).toBe(200);
    const proposal = await (await adminFetch(`/api/v1/admin/requests/${denied.id}/proposed-rule`)).json();
    expect(proposal.rule).toMatchObject({ effect: "deny", mode: "shadow", reason: "payouts that large go to finance", condition: "params.amount >= 9000" });

    const pending = await createPending(proposer, { action: "payments.payout" });
    const p1 = await adminFetch(`/api/v1/admin/requests/${pending.id}/proposed-rule`);
    expect(p1.status).toBe(409);

    const nested = await createPending(proposer, { action: "crm.update", params: { fields: { email: "x@example.com" } } });
    expect((await decide(reviewerCookie, nested.id, "approve", "ok")).status).toBe(200);
    const p2 = await adminFetch(`/api/v1/admin/requests/${nested.id}/proposed-rule`);
    expect(p2.status).toBe(409);
    expect((await p2.json()).detail).toMatch(/not proposed/);

    expect((await adminFetch("/api/v1/admin/requests/req_nope/proposed-rule")).status).toBe(404);
  });
});
