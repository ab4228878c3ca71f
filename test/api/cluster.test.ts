import { readFileSync, readdirSync } from "node:fs";
import http from "node:http";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { passwordSignIn } from "../support/password-sign-in.ts";
import { newAgent, newUser, sampleRequest, type TestAgent } from "../support/fixtures.ts";
import { startTestApp, type TestApp } from "../support/test-server.ts";

/** The worker processes under the primary: its children running the countersign command. */
function workerPids(primary: number): number[] {
  const pids: number[] = [];
  for (const task of readdirSync(`/proc/${primary}/task`)) {
    let text = "";
    try {
      text = readFileSync(`/proc/${primary}/task/${task}/children`, "utf8");
    } catch {
      continue;
    }
    for (const pid of text.split(/\s+/).filter(Boolean).map(Number)) {
      try {
        if (readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("countersign")) pids.push(pid);
      } catch {
        // exited meanwhile
      }
    }
  }
  return pids.sort((a, b) => a - b);
}

interface Answer {
  status: number;
  body: string;
}

/** One request over the given agent's connection (a new connection per request when `agent` is false). */
function call(url: string, options: { agent: http.Agent | false; method?: string; headers?: Record<string, string>; body?: unknown }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const headers: Record<string, string> = { ...options.headers };
    if (payload !== undefined) headers["content-type"] = "application/json";
    const req = http.request(url, { method: options.method ?? "GET", agent: options.agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(payload);
  });
}

/** Long-waits this instance holds, from /api/metrics over `agent`'s connection. */
async function waitingOn(app: TestApp, agent: http.Agent | false): Promise<number> {
  const res = await call(`${app.url}/api/metrics`, { agent });
  expect(res.status).toBe(200);
  const m = /^countersign_waiting_agents (\d+)/m.exec(res.body);
  expect(m).not.toBeNull();
  return Number(m![1]);
}

describe("countersign start with COUNTERSIGN_WORKERS=2", () => {
  let app: TestApp;
  let agent: TestAgent;
  let cookie: string;

  beforeAll(async () => {
    app = await startTestApp(inject("databaseUrl"), { COUNTERSIGN_WORKERS: "2" });
    agent = await newAgent();
    const reviewer = await newUser("reviewer");
    cookie = (await passwordSignIn(app.url, reviewer))!;
    expect(cookie).toBeTruthy();
  }, 180_000);

  afterAll(async () => {
    await app?.stop();
  });

  it("runs two workers that both answer, and a decision made in one reaches an agent waiting in the other", async () => {
    expect(workerPids(app.process.pid!)).toHaveLength(2);
    const auth = { authorization: `Bearer ${agent.key}` };
    const created = await call(`${app.url}/api/v1/requests`, { agent: false, method: "POST", headers: auth, body: sampleRequest() });
    expect(created.status).toBe(201);
    const { id } = JSON.parse(created.body) as { id: string };

    const waiting = call(`${app.url}/api/v1/requests/${id}?wait=60`, { agent: false, headers: auth });
    // New connections are shared out between the workers: one holds the waiter, the other none.
    const seen = new Set<number>();
    for (let i = 0; i < 40 && !(seen.has(0) && seen.has(1)); i++) seen.add(await waitingOn(app, false));
    expect([...seen].sort()).toEqual([0, 1]);

    // A kept-alive connection to the worker that does not hold the waiter carries the decision.
    let other: http.Agent | undefined;
    for (let i = 0; i < 40 && !other; i++) {
      const candidate = new http.Agent({ keepAlive: true, maxSockets: 1 });
      if ((await waitingOn(app, candidate)) === 0) other = candidate;
      else candidate.destroy();
    }
    expect(other).toBeDefined();
    try {
      const decided = await call(`${app.url}/api/v1/requests/${id}/decisions`, {
        agent: other!,
        method: "POST",
        headers: { cookie, origin: app.url },
        body: { decision: "approve", reason: "cluster test" },
      });
      expect(decided.status).toBe(200);
      // Still the same worker: the waiter was not there.
      expect(await waitingOn(app, other!)).toBe(0);
    } finally {
      other?.destroy();
    }
    const answer = await waiting;
    expect(answer.status).toBe(200);
    const body = JSON.parse(answer.body) as { status: string; grant?: { token?: string } };
    expect(body.status).toBe("approved");
    expect(body.grant?.token).toBeTruthy();
  });

  it("replaces a worker that dies, and keeps serving", async () => {
    const before = workerPids(app.process.pid!);
    expect(before).toHaveLength(2);
    process.kill(before[0], "SIGKILL");
    await expect.poll(() => workerPids(app.process.pid!).filter((p) => p !== before[0]).length, { timeout: 90_000, interval: 250 }).toBe(2);
    // Both serve again: with one agent parked, new connections see a worker holding it and one that does not.
    const auth = { authorization: `Bearer ${agent.key}` };
    const created = await call(`${app.url}/api/v1/requests`, { agent: false, method: "POST", headers: auth, body: sampleRequest() });
    expect(created.status).toBe(201);
    const { id } = JSON.parse(created.body) as { id: string };
    const waiting = call(`${app.url}/api/v1/requests/${id}?wait=60`, { agent: false, headers: auth });
    await expect
      .poll(
        async () => {
          const seen = new Set<number>();
          for (let i = 0; i < 10; i++) seen.add(await waitingOn(app, false));
          return [...seen].sort();
        },
        { timeout: 90_000, interval: 250 },
      )
      .toEqual([0, 1]);
    const cancelled = await call(`${app.url}/api/v1/requests/${id}/cancel`, { agent: false, method: "POST", headers: auth, body: {} });
    expect(cancelled.status).toBe(200);
    expect(JSON.parse((await waiting).body).status).toBe("cancelled");
  }, 120_000);

  it("drains every worker on SIGTERM: waiting agents get their current state, the primary exits 0", async () => {
    const auth = { authorization: `Bearer ${agent.key}` };
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const created = await call(`${app.url}/api/v1/requests`, { agent: false, method: "POST", headers: auth, body: sampleRequest() });
      expect(created.status).toBe(201);
      ids.push((JSON.parse(created.body) as { id: string }).id);
    }
    const waits = ids.map((id) => call(`${app.url}/api/v1/requests/${id}?wait=60`, { agent: false, headers: auth }));
    // All parked: each worker reports its own share (a and 4 − a), so the smallest and largest seen add up to 4.
    await expect
      .poll(
        async () => {
          const counts: number[] = [];
          for (let i = 0; i < 8; i++) counts.push(await waitingOn(app, false));
          return Math.min(...counts) + Math.max(...counts);
        },
        { timeout: 20_000, interval: 200 },
      )
      .toBe(4);
    const workers = workerPids(app.process.pid!);
    await app.stop();
    for (const res of await Promise.all(waits)) {
      expect(res.status).toBe(200);
      expect((JSON.parse(res.body) as { status: string }).status).toBe("pending");
    }
    expect(app.process.exitCode).toBe(0);
    for (const pid of workers) expect(() => process.kill(pid, 0)).toThrow();
  }, 60_000);
});
