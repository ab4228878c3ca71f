import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAdminToken } from "../../lib/admin-tokens/admin-tokens.ts";
import { createAgent } from "../../lib/agents/create-agent.ts";
import { containAfterRequest } from "../../lib/containment/check-containment.ts";
import { pool } from "../../lib/db.ts";
import { closeHub } from "../../lib/events/hub.ts";
import { Receiver } from "../delivery/receiver.ts";
import {
  agentFetch,
  baseUrl,
  concurrently,
  decide,
  expectProblem,
  newUser,
  reviewerFetch,
  sampleRequest,
  signIn,
  unique,
  type TestAgent,
} from "../support/fixtures.ts";

// Automatic containment end to end: the admin API, the app creating and
// deciding requests over HTTP, the kill switch, the audit log and the
// agent.suspended webhook. The rules are one global setting, so this file
// keeps every test in it (run in order) and scopes each rule to a tag of its
// own: agents of other suites running at the same time are never in scope.

let admin: { id: string; cookie: string };
let reviewerCookie: string;
let auditorCookie: string;
let adminToken: string;
const receivers: Receiver[] = [];

beforeAll(async () => {
  const [a, r, u] = await Promise.all([newUser("admin"), newUser("reviewer"), newUser("auditor")]);
  const [ac, rc, uc] = await Promise.all([signIn(a), signIn(r), signIn(u)]);
  admin = { id: a.id, cookie: ac };
  reviewerCookie = rc;
  auditorCookie = uc;
  ({ token: adminToken } = await createAdminToken({ name: unique("containment"), actor: "test" }));
});

afterAll(async () => {
  await putRules({ request_rate: null, denial_rate: null });
  await pool().query("UPDATE webhook_endpoints SET enabled = false WHERE url = ANY($1)", [receivers.map((r) => r.url)]);
  await Promise.all(receivers.map((r) => r.down()));
  await closeHub();
});

const URL_PATH = "/api/v1/admin/containment";

async function putRules(body: unknown): Promise<any> {
  const res = await reviewerFetch(admin.cookie, URL_PATH, { method: "PUT", json: body });
  expect(res.status, await res.clone().text()).toBe(200);
  return res.json();
}

/** An agent with a tag of its own, which the rules of one test select. */
async function taggedAgent(tag: string, owner = "owner@example.test"): Promise<TestAgent> {
  const name = unique("contained");
  const { agentId, key } = await createAgent({ name, ownerEmail: owner, tags: [tag], actor: "test" });
  return { agentId, name, key };
}

// An action no rule of any suite matches: the default policy leaves its requests pending.
const ACTION = `${unique("containment")}.act`;
const ask = (agent: TestAgent, overrides: Record<string, unknown> = {}) =>
  agentFetch(agent.key, "/api/v1/requests", { method: "POST", json: sampleRequest({ action: ACTION, ...overrides }) });

async function created(agent: TestAgent, overrides: Record<string, unknown> = {}): Promise<any> {
  const res = await ask(agent, overrides);
  expect(res.status, await res.clone().text()).toBe(201);
  return res.json();
}

async function suspensions(agentId: string): Promise<{ actor: string; data: any }[]> {
  const { rows } = await pool().query("SELECT actor, data FROM audit_events WHERE agent_id = $1 AND type = 'agent.suspended' ORDER BY id", [agentId]);
  return rows;
}

async function agentStatus(agentId: string): Promise<string> {
  const { rows } = await pool().query("SELECT status::text AS status FROM agents WHERE id = $1", [agentId]);
  return rows[0].status;
}

async function rule(definition: Record<string, unknown>): Promise<void> {
  const res = await reviewerFetch(admin.cookie, "/api/v1/admin/policies/rules", { method: "POST", json: definition });
  expect(res.status, await res.clone().text()).toBe(201);
}

describe("automatic containment", () => {
  it("is off by default: a burst suspends nobody", async () => {
    const res = await reviewerFetch(admin.cookie, URL_PATH);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ enabled: false, request_rate: null, denial_rate: null, agents: null });

    const agent = await taggedAgent(unique("off"));
    const answers = await concurrently(40, () => ask(agent));
    expect(answers.map((r) => r.status)).toEqual(Array(40).fill(201));
    expect((await ask(agent)).status).toBe(201);
    expect(await agentStatus(agent.agentId)).toBe("active");
    expect(await suspensions(agent.agentId)).toEqual([]);
  });

  it("suspends an agent over the request rate: audit-logged with the reason and rule, the owner's webhook sent, its key refused", async () => {
    const rx = await Receiver.start();
    receivers.push(rx);
    const hook = await reviewerFetch(admin.cookie, "/api/v1/admin/webhooks", {
      method: "POST",
      json: { url: rx.url, event_types: ["agent.suspended"], description: unique("containment") },
    });
    expect(hook.status, await hook.clone().text()).toBe(201);

    const tag = unique("rate");
    const saved = await putRules({ request_rate: { max_requests: 5, window_seconds: 60 }, denial_rate: null, agents: { tags: [tag] } });
    expect(saved).toMatchObject({
      enabled: true,
      request_rate: { max_requests: 5, window_seconds: 60 },
      denial_rate: null,
      agents: { names: [], tags: [tag] },
    });
    const agent = await taggedAgent(tag, "rate-owner@example.test");
    const bystander = await taggedAgent(unique("other"));

    const first = [];
    for (let i = 0; i < 5; i++) first.push(await created(agent));
    expect(first.map((r) => r.status)).toEqual(Array(5).fill("pending"));
    for (let i = 0; i < 7; i++) await created(bystander);
    expect(await agentStatus(agent.agentId)).toBe("active");

    // The sixth request lands, takes the agent over the limit, and is cancelled with the rest.
    const sixth = await created(agent);
    expect(sixth.status).toBe("cancelled");
    expect(sixth.decision).toMatchObject({ by: "system", reason: "agent suspended: automatic containment: 6 requests in 60 s, above the limit of 5" });
    await expectProblem(await ask(agent), 403, "agent_suspended");
    await expectProblem(await agentFetch(agent.key, `/api/v1/requests/${first[0].id}`), 403, "agent_suspended");
    expect(await agentStatus(agent.agentId)).toBe("suspended");
    expect(await agentStatus(bystander.agentId)).toBe("active");

    const [event, ...more] = await suspensions(agent.agentId);
    expect(more).toEqual([]);
    expect(event.actor).toBe("system");
    expect(event.data).toMatchObject({
      name: agent.name,
      reason: "automatic containment: 6 requests in 60 s, above the limit of 5",
      before: { status: "active" },
      after: { status: "suspended" },
      cancelled_requests: 6,
      containment: { rule: "request_rate", observed: 6, threshold: 5, window_seconds: 60 },
    });
    const { rows: cancelled } = await pool().query(
      "SELECT count(*)::int AS n FROM action_requests WHERE agent_id = $1 AND status = 'cancelled' AND decision_by = 'system'",
      [agent.agentId],
    );
    expect(cancelled[0].n).toBe(6);

    // The owner hears it: the agent.suspended webhook, with the reason.
    await rx.waitFor((all) => all.some((r) => r.json.data?.agent?.id === agent.agentId), 30_000, "the agent.suspended webhook");
    const delivered = rx.received.find((r) => r.json.data?.agent?.id === agent.agentId)!;
    expect(delivered.json.type).toBe("agent.suspended");
    expect(delivered.json.data.agent).toMatchObject({
      id: agent.agentId,
      name: agent.name,
      status: "suspended",
      reason: "automatic containment: 6 requests in 60 s, above the limit of 5",
      containment: { rule: "request_rate", observed: 6, threshold: 5, window_seconds: 60 },
    });

    // A resume starts the window afresh: the burst before it does not suspend the agent again.
    const resumed = await reviewerFetch(admin.cookie, `/api/v1/admin/agents/${agent.agentId}/resume`, { method: "POST", json: { reason: "investigated" } });
    expect(resumed.status, await resumed.clone().text()).toBe(200);
    for (let i = 0; i < 5; i++) expect((await created(agent)).status).toBe("pending");
    expect(await agentStatus(agent.agentId)).toBe("active");
    expect((await created(agent)).status).toBe("cancelled");
    const again = await suspensions(agent.agentId);
    expect(again).toHaveLength(2);
    expect(again[1].data.containment).toEqual({ rule: "request_rate", observed: 6, threshold: 5, window_seconds: 60 });
  });

  it("suspends exactly once when concurrent requests cross the threshold together", async () => {
    const tag = unique("race");
    await putRules({ request_rate: { max_requests: 5, window_seconds: 60 }, denial_rate: null, agents: { tags: [tag] } });
    const agent = await taggedAgent(tag);

    const answers = await concurrently(30, () => ask(agent));
    const statuses = answers.map((r) => r.status);
    // Those that landed before the suspension are 201 (the late ones cancelled); the rest 403.
    expect(
      statuses.every((s) => s === 201 || s === 403),
      statuses.join(","),
    ).toBe(true);
    expect(statuses.filter((s) => s === 201).length).toBeGreaterThanOrEqual(6);
    await expectProblem(await ask(agent), 403, "agent_suspended");

    const events = await suspensions(agent.agentId);
    expect(events).toHaveLength(1);
    expect(events[0].actor).toBe("system");
    expect(events[0].data.containment).toMatchObject({ rule: "request_rate", threshold: 5, window_seconds: 60 });
    expect(events[0].data.containment.observed).toBeGreaterThan(5);
    const { rows } = await pool().query("SELECT count(*)::int AS n FROM action_requests WHERE agent_id = $1 AND status = 'pending'", [agent.agentId]);
    expect(rows[0].n).toBe(0);
  });

  it("suspends exactly once when many checks find the same breach at once", async () => {
    // Over the limit while out of scope; then ten checks race, as ten requests finishing together would.
    const tag = unique("race-direct");
    await putRules({ request_rate: { max_requests: 3, window_seconds: 60 }, denial_rate: null, agents: { tags: [unique("elsewhere")] } });
    const agent = await taggedAgent(tag);
    for (let i = 0; i < 5; i++) expect((await created(agent)).status).toBe("pending");
    await putRules({ request_rate: { max_requests: 3, window_seconds: 60 }, denial_rate: null, agents: { tags: [tag] } });

    const results = await concurrently(10, () =>
      containAfterRequest({ agent: { id: agent.agentId, name: agent.name, tags: [tag] }, status: "pending", now: new Date() }),
    );
    expect(results).toEqual(Array(10).fill(true));
    const events = await suspensions(agent.agentId);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      actor: "system",
      data: { cancelled_requests: 5, containment: { rule: "request_rate", observed: 5, threshold: 3, window_seconds: 60 } },
    });
  });

  it("suspends an agent over the denial rate, counting denials by policy and by reviewers", async () => {
    const tag = unique("deny");
    const id = unique("c").replace("-", "");
    await rule({ name: `${id}-allow`, actions: [`${id}.read`], effect: "allow" });
    await rule({ name: `${id}-deny`, actions: [`${id}.drop`], effect: "deny", reason: "never automated" });
    await putRules({ request_rate: null, denial_rate: { max_ratio: 0.5, min_decisions: 4, window_seconds: 3600 }, agents: { tags: [tag] } });
    const agent = await taggedAgent(tag);

    for (let i = 0; i < 2; i++) expect((await created(agent, { action: `${id}.read` })).status).toBe("approved");
    const pending = await created(agent);
    expect(pending.status).toBe("pending");
    // 1 of 3, then 2 of 4 (at the limit, not above it).
    for (let i = 0; i < 2; i++) expect((await created(agent, { action: `${id}.drop` })).status).toBe("denied");
    expect(await agentStatus(agent.agentId)).toBe("active");

    // A reviewer's denial makes it 3 of 5: above half.
    const denied = await decide(reviewerCookie, pending.id, "deny", "not this customer");
    expect(denied.status).toBe(200);
    expect((await denied.json()).status).toBe("denied");
    expect(await agentStatus(agent.agentId)).toBe("suspended");
    await expectProblem(await ask(agent), 403, "agent_suspended");
    const [event, ...more] = await suspensions(agent.agentId);
    expect(more).toEqual([]);
    expect(event).toMatchObject({
      actor: "system",
      data: {
        reason: "automatic containment: 3 of 5 decisions denied in 3600 s (60 %), above the limit of 50 %",
        containment: { rule: "denial_rate", observed: 0.6, threshold: 0.5, window_seconds: 3600, denied: 3, decisions: 5, min_decisions: 4 },
      },
    });
  });

  it("a policy denial can trip the denial rate at creation; that request stays denied", async () => {
    const tag = unique("deny-create");
    const id = unique("d").replace("-", "");
    await rule({ name: `${id}-deny`, actions: [`${id}.drop`], effect: "deny", reason: "never automated" });
    await putRules({ request_rate: null, denial_rate: { max_ratio: 0.5, min_decisions: 3, window_seconds: 600 }, agents: { tags: [tag] } });
    const agent = await taggedAgent(tag);
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await created(agent, { action: `${id}.drop` }));
    expect(answers.map((a) => a.status)).toEqual(["denied", "denied", "denied"]);
    expect(answers[2].decision.reason).toBe("never automated");
    expect(await agentStatus(agent.agentId)).toBe("suspended");
    const [event] = await suspensions(agent.agentId);
    expect(event.data.containment).toMatchObject({ rule: "denial_rate", observed: 1, denied: 3, decisions: 3 });
  });

  it("leaves an agent alone that is already suspended or retired", async () => {
    const tag = unique("alone");
    // Out of scope while the agent makes its requests.
    await putRules({ request_rate: { max_requests: 2, window_seconds: 600 }, denial_rate: null, agents: { tags: [unique("elsewhere")] } });
    const [suspended, retired] = await Promise.all([taggedAgent(tag), taggedAgent(tag)]);
    for (const a of [suspended, retired]) for (let i = 0; i < 3; i++) await created(a);
    expect(
      (await reviewerFetch(admin.cookie, `/api/v1/admin/agents/${suspended.agentId}/suspend`, { method: "POST", json: { reason: "by hand" } })).status,
    ).toBe(200);
    expect((await reviewerFetch(admin.cookie, `/api/v1/admin/agents/${retired.agentId}/retire`, { method: "POST" })).status).toBe(200);
    await putRules({ request_rate: { max_requests: 2, window_seconds: 600 }, denial_rate: null, agents: { tags: [tag] } });

    // As the create path would call it for a request that raced the status change.
    for (const a of [suspended, retired])
      await containAfterRequest({ agent: { id: a.agentId, name: a.name, tags: [tag] }, status: "pending", now: new Date() });
    expect(await agentStatus(suspended.agentId)).toBe("suspended");
    expect(await agentStatus(retired.agentId)).toBe("retired");
    const events = await suspensions(suspended.agentId);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ actor: `user:${admin.id}`, data: { reason: "by hand" } });
    expect(events[0].data.containment).toBeUndefined();
    expect(await suspensions(retired.agentId)).toEqual([]);
  });
});

describe("the containment admin API", () => {
  it("refuses invalid rules with a problem naming the field, and changes nothing", async () => {
    const before = await (await reviewerFetch(admin.cookie, URL_PATH)).json();
    const cases: [unknown, string][] = [
      [{ request_rate: { max_requests: 0, window_seconds: 60 }, denial_rate: null }, "request_rate.max_requests"],
      [{ request_rate: null, denial_rate: { max_ratio: 1.5, min_decisions: 10, window_seconds: 3600 } }, "denial_rate.max_ratio"],
      [{ request_rate: null, denial_rate: { max_ratio: 0.5, window_seconds: 3600 } }, "denial_rate.min_decisions"],
      [{ request_rate: null }, "denial_rate"],
      [{ request_rate: null, denial_rate: null, burst: 3 }, "burst"],
      [{ request_rate: null, denial_rate: null, agents: { tags: ["has space"] } }, "agents.tags.0"],
    ];
    for (const [body, field] of cases) {
      const problem = await expectProblem(await reviewerFetch(admin.cookie, URL_PATH, { method: "PUT", json: body }), 422, "validation_failed");
      expect(
        problem.errors?.some((e) => e.path === field || e.message.includes(field)),
        `${field}: ${JSON.stringify(problem.errors)}`,
      ).toBe(true);
    }
    await expectProblem(
      await reviewerFetch(admin.cookie, URL_PATH, { method: "PUT", body: "{not json", headers: { "content-type": "application/json" } }),
      422,
      "validation_failed",
    );
    expect(await (await reviewerFetch(admin.cookie, URL_PATH)).json()).toEqual(before);
  });

  it("is for admins: auditors read, reviewers and strangers are refused, other sites too", async () => {
    const off = { request_rate: null, denial_rate: null };
    await expectProblem(await reviewerFetch(reviewerCookie, URL_PATH), 403, "forbidden");
    await expectProblem(await reviewerFetch(reviewerCookie, URL_PATH, { method: "PUT", json: off }), 403, "forbidden");
    expect((await reviewerFetch(auditorCookie, URL_PATH)).status).toBe(200);
    await expectProblem(await reviewerFetch(auditorCookie, URL_PATH, { method: "PUT", json: off }), 403, "forbidden");
    await expectProblem(await fetch(baseUrl() + URL_PATH), 401, "unauthenticated");
    await expectProblem(await reviewerFetch(admin.cookie, URL_PATH, { method: "PUT", json: off, origin: "https://evil.example" }), 403, "forbidden");
    const agent = await taggedAgent(unique("key"));
    await expectProblem(await agentFetch(agent.key, URL_PATH), 401, "unauthenticated");
  });

  it("records each change in the audit log with before and after, and who made it", async () => {
    const tag = unique("audit");
    const first = { request_rate: { max_requests: 50, window_seconds: 30 }, denial_rate: null, agents: { tags: [tag] } };
    const second = {
      request_rate: null,
      denial_rate: { max_ratio: 0.25, min_decisions: 20, window_seconds: 7200 },
      agents: { names: ["billing-agent"], tags: [tag] },
    };
    await putRules(first);
    const byToken = await fetch(baseUrl() + URL_PATH, {
      method: "PUT",
      headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
      body: JSON.stringify(second),
    });
    expect(byToken.status).toBe(200);
    const shown = await (await reviewerFetch(auditorCookie, URL_PATH)).json();
    expect(shown).toMatchObject({ enabled: true, request_rate: null, denial_rate: second.denial_rate, agents: second.agents });
    expect(Date.parse(shown.updated_at)).not.toBeNaN();

    const { rows } = await pool().query(
      "SELECT actor, data FROM audit_events WHERE type = 'settings.containment_changed' AND data -> 'after' -> 'agents' -> 'tags' ? $1 ORDER BY id",
      [tag],
    );
    expect(rows).toHaveLength(2);
    expect(rows[0].actor).toBe(`user:${admin.id}`);
    expect(rows[0].data.after).toEqual({ ...first, agents: { names: [], tags: [tag] } });
    expect(rows[1].actor).toMatch(/^admin_token:/);
    expect(rows[1].data).toEqual({ before: { ...first, agents: { names: [], tags: [tag] } }, after: second });

    const offed = await putRules({ request_rate: null, denial_rate: null });
    expect(offed).toMatchObject({ enabled: false, request_rate: null, denial_rate: null, agents: null });
  });
});
