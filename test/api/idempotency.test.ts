import { beforeAll, describe, expect, it } from "vitest";
import { db } from "../../lib/db.ts";
import { concurrently, createRequestRaw, expectProblem, expectValidationError, newAgent, sampleRequest, unique, type TestAgent } from "../support/fixtures.ts";

let agent: TestAgent;
beforeAll(async () => {
  agent = await newAgent();
});

describe("idempotent creates", () => {
  it("replays the original request for the same Idempotency-Key header and body", async () => {
    const key = unique("idem");
    const first = await createRequestRaw(agent, sampleRequest(), { "idempotency-key": key });
    expect(first.status).toBe(201);
    const original = await first.json();

    const again = await createRequestRaw(agent, sampleRequest(), { "idempotency-key": key });
    expect(again.status).toBe(200);
    const replayed = await again.json();
    expect(replayed.id).toBe(original.id);
    expect(replayed.created_at).toBe(original.created_at);
  });

  it("replays for the same body field idempotency_key, and the header form names the same request", async () => {
    const key = unique("idem");
    const first = await createRequestRaw(agent, sampleRequest({ idempotency_key: key }));
    expect(first.status).toBe(201);
    const { id } = await first.json();

    const again = await createRequestRaw(agent, sampleRequest({ idempotency_key: key }));
    expect(again.status).toBe(200);
    expect((await again.json()).id).toBe(id);

    const viaHeader = await createRequestRaw(agent, sampleRequest(), { "idempotency-key": key });
    expect(viaHeader.status).toBe(200);
    expect((await viaHeader.json()).id).toBe(id);
  });

  it("refuses the same key with a different body with 409 conflict", async () => {
    const key = unique("idem");
    expect((await createRequestRaw(agent, sampleRequest(), { "idempotency-key": key })).status).toBe(201);
    const res = await createRequestRaw(agent, sampleRequest({ params: { amount: 5000, currency: "USD" } }), { "idempotency-key": key });
    await expectProblem(res, 409, "conflict");
  });

  it("refuses a header and a body field that differ with 422", async () => {
    const res = await createRequestRaw(agent, sampleRequest({ idempotency_key: unique("body") }), { "idempotency-key": unique("header") });
    await expectValidationError(res, "idempotency_key");
  });

  it("refuses a key over 255 characters", async () => {
    await expectValidationError(await createRequestRaw(agent, sampleRequest({ idempotency_key: "k".repeat(256) })), "idempotency_key");
  });

  it("keys are per agent: another agent's same key creates its own request", async () => {
    const key = unique("idem");
    const other = await newAgent();
    const a = await (await createRequestRaw(agent, sampleRequest(), { "idempotency-key": key })).json();
    const res = await createRequestRaw(other, sampleRequest(), { "idempotency-key": key });
    expect(res.status).toBe(201);
    expect((await res.json()).id).not.toBe(a.id);
  });

  it("20 concurrent creates with one key make exactly one request", async () => {
    const key = unique("race");
    const responses = await concurrently(20, async () => {
      const res = await createRequestRaw(agent, sampleRequest(), { "idempotency-key": key });
      return { status: res.status, body: await res.json() };
    });
    expect(responses.filter((r) => r.status === 201)).toHaveLength(1);
    expect(responses.filter((r) => r.status === 200)).toHaveLength(19);
    const ids = new Set(responses.map((r) => r.body.id));
    expect(ids.size).toBe(1);
    const rows = await db().selectFrom("actionRequests").select("id").where("agentId", "=", agent.agentId).where("idempotencyKey", "=", key).execute();
    expect(rows.map((r) => r.id)).toEqual([...ids]);
  });
});
