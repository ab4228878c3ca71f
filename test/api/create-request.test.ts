import { createHash } from "node:crypto";
import { request as httpRequest } from "node:http";
import canonicalize from "canonicalize";
import { beforeAll, describe, expect, it } from "vitest";
import { agentFetch, baseUrl, createRequestRaw, expectProblem, expectValidationError, newAgent, sampleRequest, type TestAgent } from "../support/fixtures.ts";
import { EXAMPLE_CONTEXT } from "../../lib/schemas/examples.ts";

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");
const BIG = "x".repeat(70 * 1024);
const nested = (depth: number): Record<string, unknown> => (depth === 0 ? { leaf: true } : { n: nested(depth - 1) });

/** A valid create body of exactly `bytes` bytes (padded in params.blob). */
function bodyOfSize(bytes: number): string {
  const base = JSON.stringify(sampleRequest({ params: { blob: "" } }));
  return base.replace('"blob":""', `"blob":"${"b".repeat(bytes - base.length)}"`);
}

let agent: TestAgent;
beforeAll(async () => {
  agent = await newAgent();
});

describe("POST /api/v1/requests: creating", () => {
  it("answers 201 with Location and the documented request object", async () => {
    const params = { currency: "USD", amount: 500, nested: { b: [1, 2.5, "z"], a: null } };
    const context = EXAMPLE_CONTEXT;
    const res = await createRequestRaw(agent, sampleRequest({ params, context, justification: "Ticket #4521" }));
    expect(res.status).toBe(201);
    const body = await res.json();

    expect(body.id).toMatch(/^req_[0-9a-z]+$/);
    expect(res.headers.get("location")).toBe(`${baseUrl()}/api/v1/requests/${body.id}`);
    expect(body).toMatchObject({
      agent_id: agent.agentId,
      action: "payments.refund",
      resource: "customer:cus_123",
      params,
      summary: "Refund $500 to customer cus_123",
      justification: "Ticket #4521",
      context,
      status: "pending",
      approvals: [],
      decision: null,
      grant: null,
      outcome: null,
    });
    expect(body.agent_id).toMatch(/^agt_/);
    expect(body.params_sha256).toBe(sha256(canonicalize(params)!));
    expect(body.policy).toMatchObject({ effect: "require_approval", approvals_required: 1 });
    expect(body.policy.id).toMatch(/^pol_/);
    expect(typeof body.policy.name).toBe("string");
    expect(Number.isInteger(body.policy.version)).toBe(true);
    expect(body.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(Date.parse(body.expires_at) - Date.parse(body.created_at)).toBe(900_000);
  });

  it("defaults params to {} and hashes that", async () => {
    const { params: _omitted, ...withoutParams } = sampleRequest();
    const res = await createRequestRaw(agent, withoutParams);
    expect(res.status).toBe(201);
    const body = await res.json();
    expect(body.params).toEqual({});
    expect(body.params_sha256).toBe(sha256("{}"));
  });

  it("honours expires_in up to the rule's maximum and refuses more", async () => {
    const short = await createRequestRaw(agent, sampleRequest({ expires_in: 120 }));
    expect(short.status).toBe(201);
    const body = await short.json();
    expect(Date.parse(body.expires_at) - Date.parse(body.created_at)).toBe(120_000);

    await expectValidationError(await createRequestRaw(agent, sampleRequest({ expires_in: 901 })), "expires_in");
    await expectValidationError(await createRequestRaw(agent, sampleRequest({ expires_in: 0 })), "expires_in");
    await expectValidationError(await createRequestRaw(agent, sampleRequest({ expires_in: 1.5 })), "expires_in");
  });
});

describe("POST /api/v1/requests: validation", () => {
  const { summary: _s, ...noSummary } = sampleRequest();
  const cases: [string, unknown, string][] = [
    ["missing summary", noSummary, "summary"],
    ["empty summary", sampleRequest({ summary: "" }), "summary"],
    ["summary over 500 chars", sampleRequest({ summary: "s".repeat(501) }), "summary"],
    ["action with capitals", sampleRequest({ action: "Payments.Refund" }), "action"],
    ["action starting with a dot", sampleRequest({ action: ".refund" }), "action"],
    ["action with a space", sampleRequest({ action: "payments refund" }), "action"],
    ["action over 128 chars", sampleRequest({ action: "a".repeat(129) }), "action"],
    ["resource over 256 chars", sampleRequest({ resource: "r".repeat(257) }), "resource"],
    ["justification over 4000 chars", sampleRequest({ justification: "j".repeat(4001) }), "justification"],
    ["confidence above 1", sampleRequest({ context: { confidence: 1.01 } }), "context.confidence"],
    ["confidence below 0", sampleRequest({ context: { confidence: -0.1 } }), "context.confidence"],
    ["params not an object", sampleRequest({ params: [1, 2] }), "params"],
    ["labels with a non-string value", sampleRequest({ context: { labels: { team: 5 } } }), "context.labels"],
    ["unknown top-level field", sampleRequest({ actoin: "typo" }), "actoin"],
    ["unknown context field", sampleRequest({ context: { on_behalf: "alice@example.com" } }), "on_behalf"],
    ["NUL in summary", sampleRequest({ summary: "refund\u0000now" }), "summary"],
    ["NUL in a params string", sampleRequest({ params: { note: "a\u0000b" } }), "params"],
    ["NUL in a context string", sampleRequest({ context: { task_id: "t\u0000" } }), "context.task_id"],
    ["NUL in a params key", sampleRequest({ params: { "a\u0000": 1 } }), "params"],
    ["params nested 40 levels deep", sampleRequest({ params: nested(40) }), "params"],
    ["callback_url that is not http(s)", sampleRequest({ callback_url: "javascript:alert(1)" }), "callback_url"],
    ["expires_in as a string", sampleRequest({ expires_in: "60" }), "expires_in"],
  ];

  it.each(cases)("%s → 422 naming the field", async (_name, body, field) => {
    await expectValidationError(await createRequestRaw(agent, body), field);
  });

  it("refuses numbers JSON.parse turns into Infinity with 422, not a 500", async () => {
    const text = JSON.stringify(sampleRequest({ params: { amount: 0 } })).replace('"amount":0', '"amount":1e400');
    const res = await agentFetch(agent.key, "/api/v1/requests", { method: "POST", headers: { "content-type": "application/json" }, body: text });
    await expectValidationError(res, "params");
  });

  it("refuses a lone UTF-16 surrogate in params with 422, not a 500", async () => {
    const text = JSON.stringify(sampleRequest({ params: { note: "X" } })).replace('"X"', '"\\ud800"');
    const res = await agentFetch(agent.key, "/api/v1/requests", { method: "POST", headers: { "content-type": "application/json" }, body: text });
    await expectValidationError(res, "params");
  });

  it("refuses a body that is not JSON with a problem, not a 500", async () => {
    const res = await agentFetch(agent.key, "/api/v1/requests", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"action": "payments.refund", ',
    });
    const problem = await expectProblem(res, 422, "validation_failed");
    expect(problem.errors?.[0].path).toBe("(body)");
  });

  it("refuses an empty body and a JSON body that is not an object", async () => {
    await expectProblem(await agentFetch(agent.key, "/api/v1/requests", { method: "POST", body: "" }), 422, "validation_failed");
    await expectProblem(await createRequestRaw(agent, [sampleRequest()]), 422, "validation_failed");
    await expectProblem(await createRequestRaw(agent, "payments.refund"), 422, "validation_failed");
  });
});

describe("POST /api/v1/requests: size limit", () => {
  it("refuses a body over 64 KiB declared by Content-Length with 413", async () => {
    const res = await createRequestRaw(agent, sampleRequest({ justification: BIG }));
    await expectProblem(res, 413, "payload_too_large");
  });

  it("refuses a chunked body over 64 KiB (no Content-Length) with 413", async () => {
    const payload = new TextEncoder().encode(JSON.stringify(sampleRequest({ justification: BIG })));
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < payload.length; i += 8192) controller.enqueue(payload.subarray(i, i + 8192));
        controller.close();
      },
    });
    const res = await fetch(`${baseUrl()}/api/v1/requests`, {
      method: "POST",
      headers: { authorization: `Bearer ${agent.key}`, "content-type": "application/json" },
      body: stream,
      duplex: "half",
    } as RequestInit);
    await expectProblem(res, 413, "payload_too_large");
  });

  it("refuses a chunked body over 64 KiB sent with node:http", async () => {
    const url = new URL("/api/v1/requests", baseUrl());
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(url, {
        method: "POST",
        headers: { authorization: `Bearer ${agent.key}`, "content-type": "application/json", "transfer-encoding": "chunked" },
      });
      req.on("response", (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (text += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on("error", reject);
      const payload = JSON.stringify(sampleRequest({ justification: BIG }));
      for (let i = 0; i < payload.length; i += 4096) req.write(payload.slice(i, i + 4096));
      req.end();
    });
    expect(status).toBe(413);
    expect(JSON.parse(body).code).toBe("payload_too_large");
  });

  it("accepts a body of exactly 64 KiB and refuses one byte more", async () => {
    const post = (body: string) => agentFetch(agent.key, "/api/v1/requests", { method: "POST", headers: { "content-type": "application/json" }, body });
    const exact = bodyOfSize(64 * 1024);
    expect(Buffer.byteLength(exact)).toBe(65536);
    expect((await post(exact)).status).toBe(201);
    await expectProblem(await post(bodyOfSize(64 * 1024 + 1)), 413, "payload_too_large");
  });
});
