import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmbeddedPostgres, type EmbeddedDatabase } from "../../lib/runtime/embedded-postgres.ts";
import { migrate } from "../../lib/runtime/migrate.ts";
import { passwordSignIn } from "../support/password-sign-in.ts";
import { runCli } from "../support/run-cli.ts";
import { freePort, startTestApp, type TestApp } from "../support/test-server.ts";

// PostgreSQL stopped and started again under a running app: every call in
// between is told to come back (503 with Retry-After, never a 500), agents
// already long-waiting keep waiting and get their answer once the database
// is back, and nothing acknowledged before is lost.

let dataDir: string;
let port: number;
let database: EmbeddedDatabase | undefined;
let app: TestApp;
let agentKey: string;
let adminToken: string;
let cookie: string;

async function call(pathname: string, init: { method?: string; auth?: string; cookie?: boolean; json?: unknown } = {}) {
  const headers: Record<string, string> = {};
  if (init.auth) headers.authorization = `Bearer ${init.auth}`;
  if (init.cookie) Object.assign(headers, { cookie, origin: app.url });
  if (init.json !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(app.url + pathname, {
    method: init.method ?? "GET",
    headers,
    body: init.json === undefined ? undefined : JSON.stringify(init.json),
  });
  const text = await res.text();
  return { status: res.status, retryAfter: res.headers.get("retry-after"), body: JSON.parse(text || "null") as Record<string, any> };
}

const create = (summary: string) =>
  call("/api/v1/requests", {
    method: "POST",
    auth: agentKey,
    json: { action: "db.migrate", resource: "db:orders", params: { step: summary }, summary },
  });

async function waiting(): Promise<number> {
  const text = await (await fetch(`${app.url}/api/metrics`)).text();
  return Number(/^countersign_waiting_agents (\d+)/m.exec(text)?.[1] ?? Number.NaN);
}

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting until ${what}`);
}

async function cli(args: string[]): Promise<Record<string, any>> {
  const r = await runCli([...args, "--json"], { ...process.env, DATABASE_URL: database!.url });
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout.trim().split("\n").at(-1)!);
}

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), "countersign-outage-"));
  port = await freePort();
  database = await startEmbeddedPostgres({ dataDir, port, create: true });
  await migrate(database.url);
  app = await startTestApp(database.url, { DATABASE_POOL_TIMEOUT_SECONDS: "2" });
  agentKey = (await cli(["agents", "create", "--name", "outage-agent"])).key;
  adminToken = (await cli(["admin-tokens", "create", "--name", "outage"])).token;
  const admin = await cli(["users", "create", "--email", "outage-admin@example.test", "--role", "admin"]);
  cookie = (await passwordSignIn(app.url, { email: admin.email, password: admin.password }))!;
  expect(cookie).toBeTruthy();
}, 180_000);

afterAll(async () => {
  await app?.stop();
  await database?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("a database restart under a running app", () => {
  it("answers 503 with Retry-After while it is down, keeps waiters waiting, and answers them once it is back", async () => {
    const acknowledged: string[] = [];
    for (const summary of ["first", "second", "third"]) {
      const r = await create(summary);
      expect(r.status).toBe(201);
      acknowledged.push(r.body.id);
    }
    const [approveMe, denyMe] = acknowledged;
    const redeemable = await create("redeem me");
    expect((await call(`/api/v1/requests/${redeemable.body.id}/decisions`, { method: "POST", cookie: true, json: { decision: "approve" } })).status).toBe(200);
    const grant = (await call(`/api/v1/requests/${redeemable.body.id}`, { auth: agentKey })).body.grant.token as string;
    const waiters = [approveMe, denyMe].map((id) => call(`/api/v1/requests/${id}?wait=60`, { auth: agentKey }));
    await until("two agents wait", async () => (await waiting()) === 2);

    await database!.stop();
    database = undefined;

    // Every kind of caller is told to come back: agents, executors, reviewers, admin tokens, probes.
    const down = [
      await create("while down"),
      await call(`/api/v1/requests/${acknowledged[2]}`, { auth: agentKey }),
      await call("/api/v1/grants/redeem", { method: "POST", json: { token: grant, action: "db.migrate", params: { step: "redeem me" } } }),
      await call(`/api/v1/requests/${approveMe}/decisions`, { method: "POST", cookie: true, json: { decision: "approve" } }),
      await call("/api/v1/review/requests", { cookie: true }),
      await call("/api/v1/admin/policies", { auth: adminToken }),
    ];
    for (const r of down) {
      expect(r.status, JSON.stringify(r.body)).toBe(503);
      expect(r.body.code).toBe("unavailable");
      expect(Number(r.retryAfter)).toBeGreaterThan(0);
    }
    expect((await call("/api/health")).status).toBe(503);
    // The waiters are still held: nothing answered them with an error.
    expect(await waiting()).toBe(2);

    database = await startEmbeddedPostgres({ dataDir, port, create: false });
    await until("the app reaches its database again", async () => (await call("/api/health")).status === 200);

    expect((await call(`/api/v1/requests/${approveMe}/decisions`, { method: "POST", cookie: true, json: { decision: "approve" } })).status).toBe(200);
    expect((await call(`/api/v1/requests/${denyMe}/decisions`, { method: "POST", cookie: true, json: { decision: "deny", reason: "not now" } })).status).toBe(
      200,
    );
    const [approved, denied] = await Promise.all(waiters);
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ id: approveMe, status: "approved" });
    expect(approved.body.grant?.token).toBeTruthy();
    expect(denied.body).toMatchObject({ id: denyMe, status: "denied" });

    for (const id of acknowledged) expect((await call(`/api/v1/requests/${id}`, { auth: agentKey })).status).toBe(200);
    expect((await create("after")).status).toBe(201);
    const verified = await call("/api/v1/admin/audit/verify", { method: "POST", auth: adminToken });
    expect(verified.status).toBe(200);
    expect(verified.body.ok).toBe(true);
  }, 180_000);
});
