import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { awaitSealed } from "../../lib/audit/sealer.ts";
import { verifyChain } from "../../lib/audit/verify-chain.ts";
import { db } from "../../lib/db.ts";
import { startTestApp, type TestApp } from "../support/test-server.ts";
import {
  agentFetch,
  baseUrl,
  createApproved,
  createPending,
  expectProblem,
  getRequest,
  keyIdOf,
  newAgent,
  newUser,
  redeem,
  reviewerFetch,
  signIn,
  unique,
  type TestAgent,
} from "../support/fixtures.ts";

let admin: { id: string; cookie: string };
let auditorCookie: string;
let reviewerCookie: string;

beforeAll(async () => {
  const [a, au, r] = await Promise.all([newUser("admin"), newUser("auditor"), newUser("reviewer")]);
  [admin, auditorCookie, reviewerCookie] = await Promise.all([signIn(a).then((cookie) => ({ id: a.id, cookie })), signIn(au), signIn(r)]);
});

afterAll(async () => {
  await awaitSealed();
  const chain = await verifyChain();
  expect(chain.ok).toBe(true);
});

const adminCall = (path: string, init: RequestInit & { json?: unknown; origin?: string | null } = {}) =>
  reviewerFetch(admin.cookie, `/api/v1/admin${path}`, init);
const post = (path: string, json?: unknown) => adminCall(path, { method: "POST", json });
const agentRow = (id: string) => db().selectFrom("agents").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
const agentGet = (agent: TestAgent, id: string) => agentFetch(agent.key, `/api/v1/requests/${id}`);
const events = (agentId: string, type: string) =>
  db().selectFrom("auditEvents").selectAll().where("agentId", "=", agentId).where("type", "=", type).orderBy("id").execute();

describe("optional bodies", () => {
  it("suspend, resume and issue-key take an empty body as {}, and still refuse a body that breaks the schema", async () => {
    const agent = await newAgent();
    expect((await post(`/agents/${agent.agentId}/suspend`)).status).toBe(200);
    const resumed = await adminCall(`/agents/${agent.agentId}/resume`, { method: "POST", body: "  " });
    expect(resumed.status).toBe(200);
    expect((await resumed.json()).agent).toMatchObject({ id: agent.agentId, status: "active" });
    const issued = await post(`/agents/${agent.agentId}/keys`);
    expect(issued.status).toBe(201);
    expect((await issued.json()).expires_at).toBeNull();
    await expectProblem(await post(`/agents/${agent.agentId}/suspend`, { reason: 5 }), 422, "validation_failed");
    await expectProblem(await post(`/agents/${agent.agentId}/suspend`, { reason: "x", extra: true }), 422, "validation_failed");
  });
});

describe("suspending an agent (the kill switch)", () => {
  it("cancels its pending requests, revokes its unredeemed grants and refuses its keys, in one step", async () => {
    const agent = await newAgent();
    const other = await newAgent();
    const reviewer = reviewerCookie;
    const [p1, p2] = [await createPending(agent), await createPending(agent)];
    const approved = await createApproved(agent, reviewer);
    const redeemedEarlier = await createApproved(agent, reviewer);
    expect((await redeem({ token: redeemedEarlier.grant.token })).status).toBe(200);
    const othersPending = await createPending(other);

    const res = await post(`/agents/${agent.agentId}/suspend`, { reason: "leaked key in a log" });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.agent).toMatchObject({ id: agent.agentId, status: "suspended", requests: { pending: 0, total: 4 } });
    expect(body.cancelled_requests).toEqual([p1.id, p2.id].sort());
    expect(body.revoked_grants).toBe(1);

    // The agent's key is refused with 403 agent_suspended, on every endpoint.
    await expectProblem(await agentGet(agent, p1.id), 403, "agent_suspended");
    await expectProblem(await agentFetch(agent.key, "/api/v1/requests", { method: "POST", json: { action: "x.y", summary: "s" } }), 403, "agent_suspended");

    // What it had asked for is cancelled by the system (read through the database: the agent cannot read now).
    for (const { id } of [p1, p2]) {
      const r = await db().selectFrom("actionRequests").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
      expect(r).toMatchObject({ status: "cancelled", decisionBy: "system", decisionReason: "agent suspended: leaked key in a log" });
    }
    // The unredeemed grant is revoked; a redeemed one stays as it was.
    await expectProblem(await redeem({ token: approved.grant.token }), 410, "grant_revoked");
    await expectProblem(await redeem({ token: redeemedEarlier.grant.token }), 409, "grant_already_redeemed");

    // Another agent is untouched.
    expect((await getRequest(other, othersPending.id)).status).toBe("pending");

    // The dashboard's queue no longer lists the cancelled requests.
    const queue = await (await reviewerFetch(reviewer, "/api/v1/review/requests?status=pending&limit=100")).json();
    const ids = queue.data.map((r: { id: string }) => r.id);
    expect(ids).not.toContain(p1.id);
    expect(ids).toContain(othersPending.id);

    // Audit: one agent.suspended with the reason and counts, one request.cancelled per request.
    const [suspended] = await events(agent.agentId, "agent.suspended");
    expect(suspended).toMatchObject({
      actor: `user:${admin.id}`,
      data: { reason: "leaked key in a log", before: { status: "active" }, after: { status: "suspended" }, cancelled_requests: 2, revoked_grants: 1 },
    });
    const cancelled = await events(agent.agentId, "request.cancelled");
    expect(cancelled.map((e) => e.requestId).sort()).toEqual([p1.id, p2.id].sort());
    expect(cancelled.every((e) => e.actor === "system" && BigInt(e.id) > BigInt(suspended.id))).toBe(true);
  });

  it("resume restores access; the cancelled requests stay cancelled, and the agent reads them as such", async () => {
    const agent = await newAgent();
    const pending = await createPending(agent);
    expect((await post(`/agents/${agent.agentId}/suspend`)).status).toBe(200);
    await expectProblem(await agentGet(agent, pending.id), 403, "agent_suspended");

    // Suspending twice is a conflict, not a second set of events.
    await expectProblem(await post(`/agents/${agent.agentId}/suspend`), 409, "conflict");

    const res = await post(`/agents/${agent.agentId}/resume`, { reason: "key rotated" });
    expect(res.status).toBe(200);
    expect((await res.json()).agent.status).toBe("active");
    const after = await getRequest(agent, pending.id);
    expect(after.status).toBe("cancelled");
    expect(after.decision).toMatchObject({ status: "cancelled", by: "system", reason: "agent suspended" });
    expect((await createPending(agent)).body.status).toBe("pending");

    await expectProblem(await post(`/agents/${agent.agentId}/resume`), 409, "conflict");
    const [resumed] = await events(agent.agentId, "agent.resumed");
    expect(resumed.data).toMatchObject({ reason: "key rotated", before: { status: "suspended" }, after: { status: "active" } });
  });

  it("retire cancels like a suspension, and its keys then answer 401 like unknown keys", async () => {
    const agent = await newAgent();
    const pending = await createPending(agent);
    const approved = await createApproved(agent, reviewerCookie);
    const res = await post(`/agents/${agent.agentId}/retire`, { reason: "replaced by billing-v2" });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ agent: { status: "retired" }, cancelled_requests: [pending.id], revoked_grants: 1 });
    await expectProblem(await agentGet(agent, pending.id), 401, "unauthenticated");
    await expectProblem(await redeem({ token: approved.grant.token }), 410, "grant_revoked");
    // Retired is final.
    await expectProblem(await post(`/agents/${agent.agentId}/resume`), 409, "conflict");
    await expectProblem(await post(`/agents/${agent.agentId}/keys`), 409, "conflict");
    expect(await events(agent.agentId, "agent.retired")).toHaveLength(1);
  });

  it("answers 404 for an unknown or malformed agent id", async () => {
    await expectProblem(await post("/agents/agt_00000000000000000000000000/suspend"), 404, "not_found");
    await expectProblem(await post("/agents/not-an-id/suspend"), 404, "not_found");
  });
});

// A private app instance holds the waiter, so the waiting-agents gauge counts
// only it and the test suspends exactly when it is parked; the suspension is
// made on the main instance, so the answer crosses instances by NOTIFY.
describe("a long-waiting agent when it is suspended", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp(inject("databaseUrl"));
  });
  afterAll(async () => {
    await app?.stop();
  });

  it("is answered at once with its request cancelled", async () => {
    const agent = await newAgent();
    const { id } = await createPending(agent);
    const waiting = fetch(`${app.url}/api/v1/requests/${id}?wait=30`, { headers: { authorization: `Bearer ${agent.key}` } });
    await expect
      .poll(async () => /countersign_waiting_agents (\d+)/.exec(await (await fetch(`${app.url}/api/metrics`)).text())?.[1], { timeout: 10_000 })
      .toBe("1");
    const started = Date.now();
    expect((await post(`/agents/${agent.agentId}/suspend`, { reason: "runaway loop" })).status).toBe(200);
    const res = await waiting;
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({ id, status: "cancelled", decision: { status: "cancelled", by: "system", reason: "agent suspended: runaway loop" } });
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});

describe("agent keys", () => {
  it("rotation: two keys live at once; revoking the old one refuses it with 401 while the new one works", async () => {
    const agent = await newAgent();
    const oldKeyId = keyIdOf(agent.key);
    const issued = await post(`/agents/${agent.agentId}/keys`, { expires_in_days: 30 });
    expect(issued.status).toBe(201);
    const { key, key_id, expires_at } = await issued.json();
    expect(key).toMatch(/^csk_/);
    expect(keyIdOf(key)).toBe(key_id);
    expect(new Date(expires_at).getTime()).toBeGreaterThan(Date.now() + 29 * 86_400_000);
    const rotated: TestAgent = { ...agent, key };

    // Both keys work.
    const { id } = await createPending(agent);
    expect((await agentGet(rotated, id)).status).toBe(200);
    expect((await agentGet(agent, id)).status).toBe(200);

    // The listing shows both live, with dates and never a secret or hash.
    const listRes = await adminCall(`/agents/${agent.agentId}/keys`);
    const listText = await listRes.text();
    expect(listText).not.toContain(key.split("_")[2]);
    expect(listText).not.toMatch(/secret|hash/i);
    const list = JSON.parse(listText).data as { id: string; live: boolean; revoked_at: string | null; last_used_at: string | null }[];
    expect(list.map((k) => k.id).sort()).toEqual([oldKeyId, key_id].sort());
    expect(list.every((k) => k.live)).toBe(true);
    expect((await (await adminCall(`/agents/${agent.agentId}`)).json()).live_keys).toBe(2);

    // Revoke the old key.
    const revoked = await post(`/agents/${agent.agentId}/keys/${oldKeyId}/revoke`);
    expect(revoked.status).toBe(200);
    expect(await revoked.json()).toMatchObject({ id: oldKeyId, live: false, revoked_at: expect.any(String) });
    await expectProblem(await agentGet(agent, id), 401, "unauthenticated");
    expect((await agentGet(rotated, id)).status).toBe(200);
    await expectProblem(await post(`/agents/${agent.agentId}/keys/${oldKeyId}/revoke`), 409, "conflict");

    // A key id of another agent is not found under this one.
    const stranger = await newAgent();
    await expectProblem(await post(`/agents/${agent.agentId}/keys/${keyIdOf(stranger.key)}/revoke`), 404, "not_found");
    expect((await agentGet(stranger, (await createPending(stranger)).id)).status).toBe(200);

    const created = await events(agent.agentId, "agent.key_created");
    expect(created.map((e) => (e.data as { key_id: string }).key_id)).toEqual([oldKeyId, key_id]);
    const [revokedEvent] = await events(agent.agentId, "agent.key_revoked");
    expect(revokedEvent).toMatchObject({ actor: `user:${admin.id}`, data: { key_id: oldKeyId, before: { revoked_at: null } } });
  });
});

describe("agent inventory and metadata", () => {
  it("creates an agent with its first key shown once, lists it, and edits its metadata with before/after in the audit log", async () => {
    const name = unique("inventory-agent");
    const res = await post("/agents", { name, owner: "Owner@Example.test", description: "Reconciles invoices", trust_level: "low", tags: ["finance"] });
    expect(res.status).toBe(201);
    const created = await res.json();
    expect(created.key).toMatch(/^csk_/);
    expect(created.agent).toMatchObject({ name, owner: "owner@example.test", trust_level: "low", tags: ["finance"], status: "active", live_keys: 1 });
    const agent: TestAgent = { agentId: created.agent.id, name, key: created.key };
    await createPending(agent);

    const list = await (await adminCall("/agents")).json();
    const row = list.data.find((a: { id: string }) => a.id === agent.agentId);
    expect(row).toMatchObject({ requests: { pending: 1, total: 1 }, live_keys: 1 });
    expect(JSON.stringify(list)).not.toContain(created.key);

    const patched = await adminCall(`/agents/${agent.agentId}`, { method: "PATCH", json: { trust_level: "high", tags: ["finance", "payments"], owner: "" } });
    expect(patched.status).toBe(200);
    expect(await patched.json()).toMatchObject({ trust_level: "high", tags: ["finance", "payments"], owner: null, description: "Reconciles invoices" });
    const [updated] = await events(agent.agentId, "agent.updated");
    expect(updated.data).toEqual({
      name,
      before: { trust_level: "low", tags: ["finance"], owner: "owner@example.test" },
      after: { trust_level: "high", tags: ["finance", "payments"], owner: null },
    });

    // Bad input is refused with the field named; a name taken is a conflict.
    const bad = await adminCall(`/agents/${agent.agentId}`, { method: "PATCH", json: { tags: ["has space"] } });
    await expectProblem(bad, 422, "validation_failed");
    await expectProblem(await adminCall(`/agents/${agent.agentId}`, { method: "PATCH", json: { colour: "red" } }), 422, "validation_failed");
    await expectProblem(await post("/agents", { name }), 409, "conflict");
  });
});

describe("who may use the admin agent endpoints", () => {
  it("reviewers get 403 everywhere; auditors read but cannot change; signed-out callers get 401", async () => {
    const agent = await newAgent();
    const as = (cookie: string, path: string, init: RequestInit & { json?: unknown } = {}) => reviewerFetch(cookie, `/api/v1/admin${path}`, init);

    for (const path of ["/agents", `/agents/${agent.agentId}`, `/agents/${agent.agentId}/keys`]) {
      await expectProblem(await as(reviewerCookie, path), 403, "forbidden");
      expect((await as(auditorCookie, path)).status).toBe(200);
    }
    const changes: [string, string, unknown][] = [
      ["POST", "/agents", { name: unique("nope") }],
      ["PATCH", `/agents/${agent.agentId}`, { trust_level: "high" }],
      ["POST", `/agents/${agent.agentId}/suspend`, {}],
      ["POST", `/agents/${agent.agentId}/retire`, {}],
      ["POST", `/agents/${agent.agentId}/keys`, {}],
      ["POST", `/agents/${agent.agentId}/keys/${keyIdOf(agent.key)}/revoke`, undefined],
    ];
    for (const [method, path, json] of changes) {
      await expectProblem(await as(reviewerCookie, path, { method, json }), 403, "forbidden");
      await expectProblem(await as(auditorCookie, path, { method, json }), 403, "forbidden");
    }
    await expectProblem(await fetch(`${baseUrl()}/api/v1/admin/agents`), 401, "unauthenticated");

    // Nothing changed: the agent still works with its one key.
    expect((await createPending(agent)).body.status).toBe("pending");
    const row = await agentRow(agent.agentId);
    expect(row).toMatchObject({ status: "active", trustLevel: "standard" });
    expect(await db().selectFrom("agentKeys").select("id").where("agentId", "=", agent.agentId).execute()).toHaveLength(1);
  });

  it("refuses a cross-site or origin-less suspend from an admin's browser with 403", async () => {
    const agent = await newAgent();
    await expectProblem(await adminCall(`/agents/${agent.agentId}/suspend`, { method: "POST", json: {}, origin: "https://evil.example" }), 403, "forbidden");
    await expectProblem(await adminCall(`/agents/${agent.agentId}/suspend`, { method: "POST", json: {}, origin: null }), 403, "forbidden");
    expect((await agentRow(agent.agentId)).status).toBe("active");
    expect(await events(agent.agentId, "agent.suspended")).toHaveLength(0);
  });
});
