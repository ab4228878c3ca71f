import { beforeAll, describe, expect, it } from "vitest";
import { db } from "../../lib/db.ts";
import {
  baseUrl,
  createPending,
  decide,
  expectProblem,
  expectValidationError,
  getRequest,
  newAgent,
  newUser,
  reviewerFetch,
  signIn,
  type TestAgent,
  type TestUser,
} from "../support/fixtures.ts";

let agent: TestAgent;
let alice: TestUser;
let aliceCookie: string;
let bobCookie: string;
let auditorCookie: string;

beforeAll(async () => {
  agent = await newAgent();
  alice = await newUser("reviewer");
  [aliceCookie, bobCookie, auditorCookie] = await Promise.all([signIn(alice), signIn(await newUser("reviewer")), signIn(await newUser("auditor"))]);
});

const TERMINAL_EVENTS = ["request.approved", "request.denied", "request.expired", "request.cancelled"];

describe("POST /api/v1/requests/{id}/decisions", () => {
  it("approve issues a grant whose token only the agent ever sees", async () => {
    const { id } = await createPending(agent);
    const res = await decide(aliceCookie, id, "approve", "matches the ticket");
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({ id, status: "approved", decision: { status: "approved", by: `user:${alice.id}`, reason: "matches the ticket" } });
    expect(body.approvals).toEqual([expect.objectContaining({ reviewer: alice.email, reason: "matches the ticket" })]);
    expect(body.grant.id).toMatch(/^grt_/);
    expect(body.grant).not.toHaveProperty("token");

    const item = await (await reviewerFetch(aliceCookie, `/api/v1/review/requests/${id}`)).json();
    expect(item.grant.id).toBe(body.grant.id);
    expect(item.grant).not.toHaveProperty("token");
    const queue = await (await reviewerFetch(aliceCookie, `/api/v1/review/requests?status=approved&limit=100`)).text();
    expect(queue).toContain(id);
    expect(queue).not.toMatch(/"token"/);

    const agentView = await getRequest(agent, id);
    expect(agentView.grant.id).toBe(body.grant.id);
    expect(agentView.grant.token).toMatch(/^eyJ[\w-]+\.[\w-]+\.[\w-]+$/);
  });

  it("deny needs a reason; with one, the agent sees the denial and that reason", async () => {
    const { id } = await createPending(agent);
    await expectValidationError(await decide(aliceCookie, id, "deny"), "reason");
    await expectValidationError(await decide(aliceCookie, id, "deny", "   "), "reason");
    expect((await getRequest(agent, id)).status).toBe("pending");

    const res = await decide(aliceCookie, id, "deny", "wrong customer");
    expect(res.status).toBe(200);
    expect((await res.json()).grant).toBeNull();
    const seen = await getRequest(agent, id);
    expect(seen).toMatchObject({ status: "denied", grant: null, decision: { status: "denied", reason: "wrong customer", by: `user:${alice.id}` } });
  });

  it("refuses a bad decision body with 422", async () => {
    const { id } = await createPending(agent);
    const res = await reviewerFetch(aliceCookie, `/api/v1/requests/${id}/decisions`, { method: "POST", json: { decision: "maybe" } });
    await expectValidationError(res, "decision");
  });

  it("a decided request refuses further votes with 409, from anyone", async () => {
    const { id } = await createPending(agent);
    expect((await decide(aliceCookie, id, "approve")).status).toBe(200);
    await expectProblem(await decide(aliceCookie, id, "approve"), 409, "conflict");
    await expectProblem(await decide(bobCookie, id, "deny", "too late"), 409, "conflict");
    expect((await getRequest(agent, id)).status).toBe("approved");
  });

  it("with two approvals required, one reviewer cannot vote twice and a second reviewer completes it", async () => {
    const { id } = await createPending(agent);
    await db().updateTable("actionRequests").set({ approvalsRequired: 2 }).where("id", "=", id).execute();

    const first = await decide(aliceCookie, id, "approve", "ok by me");
    expect(first.status).toBe(200);
    expect(await first.json()).toMatchObject({ status: "pending", grant: null });
    await expectProblem(await decide(aliceCookie, id, "approve"), 409, "conflict");

    const second = await decide(bobCookie, id, "approve", "agreed");
    expect(second.status).toBe(200);
    const body = await second.json();
    expect(body.status).toBe("approved");
    expect(body.approvals).toHaveLength(2);
  });

  it("refuses an expired request with 409", async () => {
    const { id } = await createPending(agent, { expires_in: 1 });
    expect((await getRequest(agent, id, 30)).status).toBe("expired");
    await expectProblem(await decide(aliceCookie, id, "approve"), 409, "conflict");
  });

  it("answers 404 for an unknown or malformed request id", async () => {
    await expectProblem(await decide(aliceCookie, "req_00000000000000000000000000", "approve"), 404, "not_found");
    await expectProblem(await decide(aliceCookie, "req_%00", "approve"), 404, "not_found");
    await expectProblem(await reviewerFetch(aliceCookie, "/api/v1/review/requests/req_%00"), 404, "not_found");
  });
});

describe("who may decide", () => {
  it("an auditor gets 403", async () => {
    const { id } = await createPending(agent);
    await expectProblem(await decide(auditorCookie, id, "approve"), 403, "forbidden");
    expect((await getRequest(agent, id)).status).toBe("pending");
  });

  it("without a session: 401", async () => {
    const { id } = await createPending(agent);
    const res = await fetch(`${baseUrl()}/api/v1/requests/${id}/decisions`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: baseUrl() },
      body: JSON.stringify({ decision: "approve" }),
    });
    await expectProblem(res, 401, "unauthenticated");
  });

  it("an agent key is not a session: 401", async () => {
    const { id } = await createPending(agent);
    const res = await fetch(`${baseUrl()}/api/v1/requests/${id}/decisions`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: baseUrl(), authorization: `Bearer ${agent.key}` },
      body: JSON.stringify({ decision: "approve" }),
    });
    await expectProblem(res, 401, "unauthenticated");
    expect((await getRequest(agent, id)).status).toBe("pending");
  });

  it.each([
    ["without Origin", null],
    ["with a foreign Origin", "https://evil.example"],
    ["with an Origin on another port", baseUrl().replace(/:\d+$/, ":1")],
  ])("a cross-site POST %s gets 403 and changes nothing", async (_name, origin) => {
    const { id } = await createPending(agent);
    const res = await reviewerFetch(aliceCookie, `/api/v1/requests/${id}/decisions`, { method: "POST", origin, json: { decision: "approve" } });
    await expectProblem(res, 403, "forbidden");
    expect((await getRequest(agent, id)).status).toBe("pending");
  });

  it("a reviewer cannot decide a request made on their own behalf (case-insensitive)", async () => {
    const { id } = await createPending(agent, { context: { on_behalf_of: ` ${alice.email.toUpperCase()} ` } });
    await expectProblem(await decide(aliceCookie, id, "approve"), 403, "forbidden");
    const item = await (await reviewerFetch(aliceCookie, `/api/v1/review/requests/${id}`)).json();
    expect(item.can_decide).toBe(false);
    // Someone else may.
    expect((await decide(bobCookie, id, "approve")).status).toBe(200);
  });

  it("a reviewer cannot decide a request from an agent they own", async () => {
    const owned = await newAgent({ owner: alice.email.toUpperCase() });
    const { id } = await createPending(owned);
    await expectProblem(await decide(aliceCookie, id, "deny", "mine"), 403, "forbidden");
    expect((await getRequest(owned, id)).status).toBe("pending");
  });
});

describe("concurrent decisions", () => {
  it("of an approve and a deny fired together, exactly one wins, every time", async () => {
    for (let i = 0; i < 10; i++) {
      const { id } = await createPending(agent);
      const [approve, deny] = await Promise.all([decide(aliceCookie, id, "approve", "yes"), decide(bobCookie, id, "deny", "no")]);
      const statuses = [approve.status, deny.status].sort();
      expect(statuses).toEqual([200, 409]);
      const winner = approve.status === 200 ? "approved" : "denied";
      await expectProblem(approve.status === 200 ? deny : approve, 409, "conflict");

      const row = await db().selectFrom("actionRequests").select("status").where("id", "=", id).executeTakeFirstOrThrow();
      expect(row.status).toBe(winner);
      expect(await db().selectFrom("votes").select("id").where("requestId", "=", id).execute()).toHaveLength(1);
      const grant = await db().selectFrom("grants").select("id").where("requestId", "=", id).executeTakeFirst();
      expect(grant === undefined).toBe(winner === "denied");
      const terminal = await db().selectFrom("auditEvents").select("type").where("requestId", "=", id).where("type", "in", TERMINAL_EVENTS).execute();
      expect(terminal.map((e) => e.type)).toEqual([`request.${winner}`]);
    }
  });
});
