import { beforeAll, describe, expect, it } from "vitest";
import { db } from "../../lib/db.ts";
import {
  agentFetch,
  createApproved,
  createPending,
  decide,
  expectProblem,
  expectValidationError,
  getRequest,
  newAgent,
  newUser,
  redeem,
  signIn,
  type TestAgent,
} from "../support/fixtures.ts";

let agent: TestAgent;
let cookie: string;
beforeAll(async () => {
  agent = await newAgent();
  cookie = await signIn(await newUser("reviewer"));
});

const cancel = (id: string) => agentFetch(agent.key, `/api/v1/requests/${id}/cancel`, { method: "POST" });
const outcome = (id: string, body: unknown) => agentFetch(agent.key, `/api/v1/requests/${id}/outcome`, { method: "POST", json: body });
const eventsOf = (requestId: string, type: string) =>
  db().selectFrom("auditEvents").select("id").where("requestId", "=", requestId).where("type", "=", type).execute();

describe("POST /api/v1/requests/{id}/cancel", () => {
  it("cancels a pending request, once", async () => {
    const { id } = await createPending(agent);
    const res = await cancel(id);
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({ id, status: "cancelled", grant: null, decision: { status: "cancelled", by: "agent" } });
    expect((await getRequest(agent, id)).status).toBe("cancelled");
    expect(await eventsOf(id, "request.cancelled")).toHaveLength(1);

    await expectProblem(await cancel(id), 409, "conflict");
  });

  it("refuses to cancel an approved request, and the grant stays", async () => {
    const approved = await createApproved(agent, cookie);
    await expectProblem(await cancel(approved.id), 409, "conflict");
    const after = await getRequest(agent, approved.id);
    expect(after.status).toBe("approved");
    expect(after.grant.token).toBe(approved.grant.token);
  });

  it("refuses to cancel a denied or expired request", async () => {
    const denied = await createPending(agent);
    expect((await decide(cookie, denied.id, "deny", "no")).status).toBe(200);
    await expectProblem(await cancel(denied.id), 409, "conflict");

    const overdue = await createPending(agent, { expires_in: 1 });
    expect((await getRequest(agent, overdue.id, 30)).status).toBe("expired");
    await expectProblem(await cancel(overdue.id), 409, "conflict");
    expect((await getRequest(agent, overdue.id)).status).toBe("expired");
  });

  it("answers 404 for an unknown or malformed id", async () => {
    await expectProblem(await cancel("req_00000000000000000000000000"), 404, "not_found");
    await expectProblem(await cancel("req_%00"), 404, "not_found");
    await expectProblem(await outcome("req_%00", { status: "succeeded" }), 404, "not_found");
  });
});

describe("POST /api/v1/requests/{id}/outcome", () => {
  it("refuses an outcome before the grant was redeemed", async () => {
    const pending = await createPending(agent);
    await expectProblem(await outcome(pending.id, { status: "succeeded" }), 409, "conflict");
    const approved = await createApproved(agent, cookie);
    await expectProblem(await outcome(approved.id, { status: "succeeded" }), 409, "conflict");
    expect((await getRequest(agent, approved.id)).outcome).toBeNull();
  });

  it("records one outcome after redemption; a second is 409", async () => {
    const approved = await createApproved(agent, cookie);
    expect((await redeem({ token: approved.grant.token })).status).toBe(200);

    const res = await outcome(approved.id, { status: "failed", detail: "the payment processor timed out" });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.outcome).toMatchObject({ status: "failed", detail: "the payment processor timed out" });
    expect(Number.isNaN(Date.parse(body.outcome.at))).toBe(false);

    await expectProblem(await outcome(approved.id, { status: "succeeded" }), 409, "conflict");
    expect((await getRequest(agent, approved.id)).outcome.status).toBe("failed");
    expect(await eventsOf(approved.id, "request.outcome_reported")).toHaveLength(1);
  });

  it.each([
    ["an unknown status", { status: "done" }, "status"],
    ["a missing status", { detail: "x" }, "status"],
    ["detail over 4000 chars", { status: "succeeded", detail: "d".repeat(4001) }, "detail"],
    ["an unknown field", { status: "succeeded", details: "typo" }, "details"],
  ])("refuses %s with 422", async (_name, body, field) => {
    const { id } = await createPending(agent);
    await expectValidationError(await outcome(id, body), field);
  });
});
