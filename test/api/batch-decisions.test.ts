import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "../../lib/db.ts";
import { closeHub } from "../../lib/events/hub.ts";
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

// POST /api/v1/review/decisions (API 1.1): each id is decided exactly as a
// single decision would be, in the order given, and one item's refusal stops
// nothing.

let agent: TestAgent;
let alice: TestUser;
let aliceCookie: string;
let bobCookie: string;

beforeAll(async () => {
  agent = await newAgent();
  alice = await newUser("reviewer");
  [aliceCookie, bobCookie] = await Promise.all([signIn(alice), signIn(await newUser("reviewer"))]);
});

afterAll(async () => {
  await closeHub();
});

function batch(cookie: string, body: unknown, origin?: string | null) {
  return reviewerFetch(cookie, "/api/v1/review/decisions", { method: "POST", json: body, origin });
}

async function eventTypes(requestId: string): Promise<string[]> {
  const rows = await db().selectFrom("auditEvents").select(["type", "actor"]).where("requestId", "=", requestId).execute();
  return rows.filter((r) => r.actor === `user:${alice.id}`).map((r) => r.type);
}

describe("POST /api/v1/review/decisions", () => {
  it("answers each item in the given order as its single decision would: approved, forbidden, already decided, not found", async () => {
    const ownAgent = await newAgent({ owner: alice.email });
    const [a, b, c] = await Promise.all([createPending(agent), createPending(agent), createPending(agent)]);
    const forbidden = await createPending(ownAgent);
    const decided = await createPending(agent);
    expect((await decide(bobCookie, decided.id, "deny", "bob was first")).status).toBe(200);
    const missing = "req_00000000000000000000000000";

    const ids = [a.id, forbidden.id, b.id, decided.id, missing, c.id];
    const res = await batch(aliceCookie, { ids, decision: "approve", reason: "checked the tickets" });
    expect(res.status).toBe(200);
    const { results } = await res.json();
    expect(results.map((r: { id: string }) => r.id)).toEqual(ids);
    expect(results.map((r: { status: number }) => r.status)).toEqual([200, 403, 200, 409, 404, 200]);

    for (const r of [results[0], results[2], results[5]]) {
      expect(r.request).toMatchObject({ id: r.id, status: "approved", decision: { by: `user:${alice.id}`, reason: "checked the tickets" } });
      expect(r.request.grant.id).toMatch(/^grt_/);
      expect(r.request.grant).not.toHaveProperty("token");
      expect(r).not.toHaveProperty("problem");
      expect((await getRequest(agent, r.id)).status).toBe("approved");
      expect((await eventTypes(r.id)).sort()).toEqual(["grant.issued", "request.approved", "request.vote_recorded"]);
    }
    expect(results[1].problem).toMatchObject({ status: 403, code: "forbidden", detail: "you cannot decide a request from an agent you own" });
    expect(results[3].problem).toMatchObject({ status: 409, code: "conflict", detail: "the request is already denied" });
    expect(results[4].problem).toMatchObject({ status: 404, code: "not_found" });
    for (const r of [results[1], results[3], results[4]]) {
      expect(r).not.toHaveProperty("request");
      expect(typeof r.problem.type).toBe("string");
    }
    // The refused items were left as they were, and their refusals were not recorded as votes.
    expect((await getRequest(ownAgent, forbidden.id)).status).toBe("pending");
    expect(await eventTypes(forbidden.id)).toEqual([]);
    expect((await getRequest(agent, decided.id)).decision.reason).toBe("bob was first");
    expect(await eventTypes(decided.id)).toEqual([]);
  });

  it("decides a repeated id once; the repetition gets 409 like a second vote", async () => {
    const { id } = await createPending(agent);
    const res = await batch(aliceCookie, { ids: [id, id], decision: "deny", reason: "wrong customer" });
    const { results } = await res.json();
    expect(results.map((r: { status: number }) => r.status)).toEqual([200, 409]);
    expect(results[0].request.status).toBe("denied");
    expect(results[1].problem.code).toBe("conflict");
    expect(await eventTypes(id)).toEqual(expect.arrayContaining(["request.vote_recorded", "request.denied"]));
    expect((await eventTypes(id)).filter((t) => t === "request.vote_recorded")).toHaveLength(1);
  });

  it("refuses 0 or 101 ids, an unknown field, and a denial without a reason with 422, deciding nothing", async () => {
    const { id } = await createPending(agent);
    await expectValidationError(await batch(aliceCookie, { ids: Array.from({ length: 101 }, () => id), decision: "approve" }), "ids");
    await expectValidationError(await batch(aliceCookie, { ids: [], decision: "approve" }), "ids");
    await expectValidationError(await batch(aliceCookie, { ids: [id], decision: "approve", params: {} }), "params");
    await expectValidationError(await batch(aliceCookie, { ids: [id], decision: "deny", reason: "  " }), "reason");
    expect((await getRequest(agent, id)).status).toBe("pending");
    expect(await eventTypes(id)).toEqual([]);
  });

  it("needs a session and the app's own origin", async () => {
    const { id } = await createPending(agent);
    await expectProblem(await batch(aliceCookie, { ids: [id], decision: "approve" }, "https://evil.example"), 403, "forbidden");
    await expectProblem(
      await fetch(`${baseUrl()}/api/v1/review/decisions`, {
        method: "POST",
        headers: { "content-type": "application/json", origin: baseUrl() },
        body: JSON.stringify({ ids: [id], decision: "approve" }),
      }),
      401,
      "unauthenticated",
    );
    expect((await getRequest(agent, id)).status).toBe("pending");
  });

  it("a batch and a single decision on the same request at once: exactly one wins", async () => {
    for (let round = 0; round < 6; round++) {
      const [x, y] = await Promise.all([createPending(agent), createPending(agent)]);
      const [batchRes, singleRes] = await Promise.all([
        batch(aliceCookie, { ids: [y.id, x.id], decision: "approve", reason: `batch ${round}` }),
        decide(bobCookie, x.id, "deny", `single ${round}`),
      ]);
      const { results } = await batchRes.json();
      expect(results[0].status).toBe(200);
      const batchWon = results[1].status === 200;
      expect({ round, batch: results[1].status, single: singleRes.status }).toEqual(
        batchWon ? { round, batch: 200, single: 409 } : { round, batch: 409, single: 200 },
      );
      const final = await getRequest(agent, x.id);
      expect(final.status).toBe(batchWon ? "approved" : "denied");
      const terminal = await db()
        .selectFrom("auditEvents")
        .select("type")
        .where("requestId", "=", x.id)
        .where("type", "in", ["request.approved", "request.denied"])
        .execute();
      expect(terminal).toHaveLength(1);
    }
  });
});
