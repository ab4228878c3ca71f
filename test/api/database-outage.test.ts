import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, startTestDatabase, type TestApp, type TestDatabase } from "../support/test-server.ts";

// A database outage must yield clear 503s: never a 500, never a 401 that
// hides the outage, and never anything that looks like an approval.
describe("database outage", () => {
  let database: TestDatabase;
  let app: TestApp;

  beforeAll(async () => {
    database = await startTestDatabase();
    app = await startTestApp(database.url);
    await database.stop();
  });
  afterAll(async () => {
    await app?.stop();
  });

  it("reports unhealthy", async () => {
    const res = await fetch(`${app.url}/api/health`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ status: "degraded", database: "unavailable" });
  });

  it("answers agent calls with 503 unavailable problem details", async () => {
    const res = await fetch(`${app.url}/api/v1/requests`, {
      method: "POST",
      headers: { authorization: `Bearer csk_AAAAAAAAAAAA_${"A".repeat(43)}`, "content-type": "application/json" },
      body: JSON.stringify({ action: "payments.refund", summary: "Refund" }),
    });
    expect(res.status).toBe(503);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    const body = await res.json();
    expect(body.code).toBe("unavailable");
    expect(JSON.stringify(body)).not.toMatch(/at .*\.(ts|js):\d+/);
  });
});
