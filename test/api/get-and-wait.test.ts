import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { db } from "../../lib/db.ts";
import { getAgentRequest } from "../../lib/requests/get-request.ts";
import { sweepExpired } from "../../lib/requests/sweep-expired.ts";
import { waitForRequest } from "../../lib/requests/wait-for-request.ts";
import {
  agentFetch,
  createPending,
  decide,
  expectProblem,
  expectValidationError,
  getRequest,
  newAgent,
  newUser,
  signIn,
  type TestAgent,
} from "../support/fixtures.ts";
import { startTestApp, type TestApp } from "../support/test-server.ts";

let agent: TestAgent;
let cookie: string;
let secondCookie: string;
beforeAll(async () => {
  agent = await newAgent();
  [cookie, secondCookie] = await Promise.all([signIn(await newUser("reviewer")), signIn(await newUser("reviewer"))]);
});

const requestRow = (id: string) => db().selectFrom("actionRequests").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
const expiredEvents = (requestId: string) =>
  db().selectFrom("auditEvents").selectAll().where("requestId", "=", requestId).where("type", "=", "request.expired").execute();

describe("GET /api/v1/requests/{id}", () => {
  it("answers a pending request at once with ?wait=0 and without wait", async () => {
    const { id, body: created } = await createPending(agent);
    for (const query of ["", "?wait=0"]) {
      const res = await agentFetch(agent.key, `/api/v1/requests/${id}${query}`);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/^application\/json/);
      expect(await res.json()).toEqual(created);
    }
  });

  it("answers 404 for an unknown or malformed id", async () => {
    for (const id of ["req_00000000000000000000000000", "nope", "x".repeat(2000), "req_%00"]) {
      await expectProblem(await agentFetch(agent.key, `/api/v1/requests/${id}?wait=5`), 404, "not_found");
    }
  });

  it("refuses wait outside 0..60 and unknown query fields with 422", async () => {
    const { id } = await createPending(agent);
    await expectValidationError(await agentFetch(agent.key, `/api/v1/requests/${id}?wait=61`), "wait");
    await expectValidationError(await agentFetch(agent.key, `/api/v1/requests/${id}?wait=-1`), "wait");
    await expectValidationError(await agentFetch(agent.key, `/api/v1/requests/${id}?wait=soon`), "wait");
    await expectValidationError(await agentFetch(agent.key, `/api/v1/requests/${id}?timeout=5`), "timeout");
  });

  it("a long-wait started before the decision answers with the decided state and the grant", async () => {
    const { id } = await createPending(agent);
    const waiting = getRequest(agent, id, 30);
    const decided = await decide(cookie, id, "approve", "fine");
    expect(decided.status).toBe(200);
    const answer = await waiting;
    expect(answer.status).toBe("approved");
    expect(answer.decision).toMatchObject({ status: "approved", reason: "fine" });
    expect(answer.decision.by).toMatch(/^user:usr_/);
    expect(answer.grant.id).toMatch(/^grt_/);
    expect(answer.grant.token).toMatch(/^eyJ/);
  });

  it("a long-wait on a denial answers denied with the reason", async () => {
    const { id } = await createPending(agent);
    const waiting = getRequest(agent, id, 30);
    expect((await decide(cookie, id, "deny", "not this customer")).status).toBe(200);
    const answer = await waiting;
    expect(answer).toMatchObject({ status: "denied", grant: null, decision: { status: "denied", reason: "not this customer" } });
  });

  it("a long-wait is answered when the agent cancels the request elsewhere", async () => {
    const { id } = await createPending(agent);
    const waiting = getRequest(agent, id, 30);
    expect((await agentFetch(agent.key, `/api/v1/requests/${id}/cancel`, { method: "POST" })).status).toBe(200);
    expect((await waiting).status).toBe("cancelled");
  });

  it("a long-wait on a request that expires during the wait answers expired", async () => {
    const { id } = await createPending(agent, { expires_in: 2 });
    const answer = await getRequest(agent, id, 30);
    expect(answer.status).toBe("expired");
    expect(answer.grant).toBeNull();
  });

  it("an overdue pending request reads as expired whether or not it was swept", async () => {
    const { id } = await createPending(agent, { expires_in: 1 });
    expect((await getRequest(agent, id, 30)).status).toBe("expired");
    const row = await requestRow(id);
    expect(["pending", "expired"]).toContain(row.status);

    const again = await getRequest(agent, id, 10);
    expect(again.status).toBe("expired");
    expect(again.decision).toMatchObject({ status: "expired", by: "system" });
  });
});

describe("sweepExpired()", () => {
  it("moves overdue pending rows to expired and writes request.expired events", async () => {
    const overdue = await createPending(agent);
    const live = await createPending(agent);
    const past = new Date(Date.now() - 60_000);
    await db().updateTable("actionRequests").set({ expiresAt: past }).where("id", "=", overdue.id).execute();

    const swept = await sweepExpired();
    expect(swept).toBeGreaterThanOrEqual(1);

    const row = await requestRow(overdue.id);
    expect(row).toMatchObject({ status: "expired", decisionBy: "system" });
    expect(row.decidedAt?.getTime()).toBe(past.getTime());
    expect((await requestRow(live.id)).status).toBe("pending");

    const events = await expiredEvents(overdue.id);
    expect(events).toHaveLength(1);
    expect(events[0].actor).toBe("system");
    expect(await expiredEvents(live.id)).toHaveLength(0);

    // A second sweep finds nothing more to do for that row.
    await sweepExpired();
    expect(await expiredEvents(overdue.id)).toHaveLength(1);
    expect((await getRequest(agent, overdue.id)).decision).toMatchObject({ status: "expired", by: "system" });
  });
});

// On a private app, the waiting-agents gauge counts only this test's waiter,
// so the test can act exactly when the waiter is parked.
describe("waking a parked long-wait", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp(inject("databaseUrl"));
  });
  afterAll(async () => {
    await app?.stop();
  });

  const waitOn = (id: string) => fetch(`${app.url}/api/v1/requests/${id}?wait=30`, { headers: { authorization: `Bearer ${agent.key}` } }).then((r) => r.json());
  const vote = (c: string, id: string, reason: string) =>
    fetch(`${app.url}/api/v1/requests/${id}/decisions`, {
      method: "POST",
      headers: { cookie: c, origin: app.url, "content-type": "application/json" },
      body: JSON.stringify({ decision: "approve", reason }),
    });
  const parked = () =>
    expect.poll(async () => /countersign_waiting_agents (\d+)/.exec(await (await fetch(`${app.url}/api/metrics`)).text())?.[1], { timeout: 10_000 }).toBe("1");

  it("answers with the decision once one is made", async () => {
    const { id } = await createPending(agent);
    const waiting = waitOn(id);
    await parked();
    expect((await vote(cookie, id, "fine")).status).toBe(200);
    const answer = await waiting;
    expect(answer.status).toBe("approved");
    expect(answer.grant.token).toMatch(/^eyJ/);
  });

  it("is not ended by a vote that leaves the request pending", async () => {
    const { id } = await createPending(agent);
    await db().updateTable("actionRequests").set({ approvalsRequired: 2 }).where("id", "=", id).execute();
    const waiting = waitOn(id);
    await parked();
    expect((await (await vote(cookie, id, "one of two")).json()).status).toBe("pending");
    expect((await vote(secondCookie, id, "two of two")).status).toBe(200);
    const answer = await waiting;
    expect(answer.status).toBe("approved");
    expect(answer.approvals).toHaveLength(2);
  });
});

describe("a long-wait whose client goes away", () => {
  it("is answered with what it holds, without reading the request again (thousands leaving at once cost no reads)", async () => {
    const { id } = await createPending(agent);
    const client = new AbortController();
    let reads = 0;
    let secondRead!: () => void;
    const holding = new Promise<void>((resolve) => (secondRead = resolve));
    const answer = waitForRequest({
      requestId: id,
      agentId: agent.agentId,
      waitSeconds: 30,
      signal: client.signal,
      read: async () => {
        const r = await getAgentRequest(agent.agentId, id);
        // The read on arrival, then the one after subscribing: from here the wait sleeps.
        if (++reads === 2) setImmediate(secondRead);
        return r;
      },
    });
    await holding;
    client.abort();
    expect((await answer).status).toBe("pending");
    expect(reads).toBe(2);
  });
});
