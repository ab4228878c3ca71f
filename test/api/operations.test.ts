import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { pool } from "../../lib/db.ts";
import { baseUrl, expectProblem, newAgent, newUser, sampleRequest, trySignIn } from "../support/fixtures.ts";
import { startTestApp, type TestApp } from "../support/test-server.ts";

describe("health and documents", () => {
  it("GET /api/health reports the app and the database ok", async () => {
    const res = await fetch(`${baseUrl()}/api/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok", database: "ok" });
  });

  it("serves an OpenAPI 3.1 document describing every agent and executor endpoint", async () => {
    const res = await fetch(`${baseUrl()}/api/v1/openapi.json`);
    expect(res.status).toBe(200);
    const doc = await res.json();
    expect(doc.openapi).toMatch(/^3\.1\./);
    const operations: [string, string][] = [
      ["/api/v1/requests", "post"],
      ["/api/v1/requests", "get"],
      ["/api/v1/requests/{id}", "get"],
      ["/api/v1/requests/{id}/cancel", "post"],
      ["/api/v1/requests/{id}/outcome", "post"],
      ["/api/v1/requests/{id}/decisions", "post"],
      ["/api/v1/grants/redeem", "post"],
      ["/.well-known/jwks.json", "get"],
    ];
    for (const [path, method] of operations) expect(doc.paths?.[path]?.[method], `${method} ${path}`).toBeDefined();
    // Generated from the validating schemas: the create body is strict and names its required fields.
    const create = doc.paths["/api/v1/requests"].post.requestBody.content["application/json"].schema;
    const schema = create.$ref ? doc.components.schemas[create.$ref.split("/").pop()] : create;
    expect(schema.required).toEqual(expect.arrayContaining(["action", "summary"]));
    expect(schema.additionalProperties).toBe(false);
  });

  it("sends anti-framing headers on pages", async () => {
    for (const path of ["/", "/signin"]) {
      const res = await fetch(`${baseUrl()}${path}`, { redirect: "manual" });
      expect(res.headers.get("x-frame-options"), path).toBe("DENY");
      expect(res.headers.get("content-security-policy"), path).toContain("frame-ancestors 'none'");
    }
  });
});

describe("limits (on a second app with small limits)", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp(inject("databaseUrl"), {
      COUNTERSIGN_AGENT_RATE_PER_MINUTE: "3",
      COUNTERSIGN_MAX_PENDING_PER_AGENT: "2",
      COUNTERSIGN_SIGNIN_ATTEMPTS_PER_15MIN: "20",
    });
  });
  afterAll(async () => {
    await app?.stop();
  });

  const post = (key: string, path: string, body?: unknown) =>
    fetch(`${app.url}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  it("rate-limits an agent's creates with 429 and Retry-After", async () => {
    const agent = await newAgent();
    // Cancel each one so the pending cap (2) never applies.
    for (let i = 0; i < 3; i++) {
      const res = await post(agent.key, "/api/v1/requests", sampleRequest());
      expect(res.status).toBe(201);
      expect((await post(agent.key, `/api/v1/requests/${(await res.json()).id}/cancel`)).status).toBe(200);
    }
    const fourth = await post(agent.key, "/api/v1/requests", sampleRequest());
    const retryAfter = Number(fourth.headers.get("retry-after"));
    const problem = await expectProblem(fourth, 429, "rate_limited");
    expect(problem.detail).toMatch(/too fast/);
    expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60).toBe(true);

    // Another agent has its own allowance.
    const other = await newAgent();
    expect((await post(other.key, "/api/v1/requests", sampleRequest())).status).toBe(201);
  });

  it("caps an agent's pending requests", async () => {
    const agent = await newAgent();
    const first = await post(agent.key, "/api/v1/requests", sampleRequest());
    expect(first.status).toBe(201);
    expect((await post(agent.key, "/api/v1/requests", sampleRequest())).status).toBe(201);
    const third = await post(agent.key, "/api/v1/requests", sampleRequest());
    expect(third.headers.get("retry-after")).toMatch(/^\d+$/);
    const problem = await expectProblem(third, 429, "rate_limited");
    expect(problem.detail).toMatch(/pending/);
  });

  it("never lets concurrent creates pass the pending cap (2 here): of 20 at once, exactly 2 wait and 18 get 429", async () => {
    const agent = await newAgent();
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => post(agent.key, "/api/v1/requests", sampleRequest({ summary: `concurrent ${i}` }))));
    const statuses = answers.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(2);
    expect(statuses.filter((s) => s === 429)).toHaveLength(18);
    const { rows } = await pool().query("SELECT count(*)::int AS n FROM action_requests WHERE agent_id = $1 AND status = 'pending'", [agent.agentId]);
    expect(rows[0].n).toBe(2);
  });

  it("locks an account for the address after 20 failed sign-ins from it, even for the right password", async () => {
    const user = await newUser("reviewer");
    for (let i = 0; i < 21; i++) expect(await trySignIn({ email: user.email, password: `wrong-password-${i}` }, app.url)).toBeNull();
    expect(await trySignIn(user, app.url)).toBeNull();
    // The lock is per account and address: another account still signs in from the same address
    // (other addresses: test/api/abuse-limits.test.ts).
    const other = await newUser("reviewer");
    expect(await trySignIn(other, app.url)).toMatch(/^authjs\.session-token=/);
  });
});
