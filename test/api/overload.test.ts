import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { passwordSignIn } from "../support/password-sign-in.ts";
import { newAgent, newUser, sampleRequest, type TestAgent } from "../support/fixtures.ts";
import { startTestApp, type TestApp } from "../support/test-server.ts";

// Graceful overload (lib/limits/admission.ts, lib/limits/wait-slots.ts) and
// the people's own connection pool (lib/db.ts), against an app of this
// suite's own with small limits. Calls are held in flight deterministically:
// a transaction of the test locks what they need, and they queue on it.

const LIMITS = {
  COUNTERSIGN_MAX_INFLIGHT: "4",
  COUNTERSIGN_MAX_INFLIGHT_PER_AGENT: "2",
  COUNTERSIGN_MAX_WAITS: "3",
  // The machine runs other suites meanwhile: shedding by event-loop delay (lib/limits/admission.unit.test.ts) is off here.
  COUNTERSIGN_MAX_EVENT_LOOP_DELAY_MS: "0",
  DATABASE_POOL_SIZE: "4",
  // Long enough that no call held by the test's locks gives up waiting for a connection meanwhile.
  DATABASE_POOL_TIMEOUT_SECONDS: "60",
};

let app: TestApp;
let blocker: pg.Client;
let cookie: string;

/** Every call of this suite gives up after 30 s: a call stuck behind the test's own locks then fails the step it is in, and the lock is let go. */
const CALL_TIMEOUT_MS = 30_000;

async function send(agent: TestAgent, path: string, init: { method?: string; json?: unknown } = {}) {
  const res = await fetch(app.url + path, {
    signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
    method: init.method ?? "GET",
    headers: { authorization: `Bearer ${agent.key}`, ...(init.json ? { "content-type": "application/json" } : {}) },
    body: init.json ? JSON.stringify(init.json) : undefined,
  });
  return { status: res.status, retryAfter: res.headers.get("retry-after"), body: (await res.json()) as Record<string, any> };
}

const create = (agent: TestAgent) => send(agent, "/api/v1/requests", { method: "POST", json: sampleRequest() });

async function metric(name: string): Promise<number> {
  const text = await (await fetch(`${app.url}/api/metrics`)).text();
  const m = new RegExp(`^${name.replace(/[{}]/g, "\\$&")} (\\d+)`, "m").exec(text);
  expect(m, `${name} on /api/metrics`).not.toBeNull();
  return Number(m![1]);
}

/** Polls (bounded) until `check` holds. */
async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting until ${what}`);
}

beforeAll(async () => {
  app = await startTestApp(inject("databaseUrl"), LIMITS);
  blocker = new pg.Client({ connectionString: inject("databaseUrl") });
  await blocker.connect();
  const admin = await newUser("admin");
  cookie = (await passwordSignIn(app.url, admin))!;
  expect(cookie).toBeTruthy();
}, 180_000);

afterAll(async () => {
  await blocker?.end();
  await app?.stop();
});

describe("graceful overload", () => {
  it("sheds calls beyond the per-agent (429) and process-wide (503) limits with Retry-After, and serves them all once the jam clears", async () => {
    const [a, b, c] = await Promise.all([newAgent(), newAgent(), newAgent()]);
    // A create locks its agent's row: the test's lock on agents a and b holds their creates in flight.
    await blocker.query("BEGIN");
    await blocker.query("SELECT 1 FROM agents WHERE id = ANY($1) FOR UPDATE", [[a.agentId, b.agentId]]);
    let held: Promise<Awaited<ReturnType<typeof create>>>[] = [];
    try {
      held = [create(a), create(a)];
      // Both counted against agent a, not only admitted by the process: until then a third call could take the second place.
      await until("two creates of agent a are in flight", async () => (await metric("countersign_agents_at_call_limit")) === 1);
      expect(await metric("countersign_calls_in_flight")).toBe(2);
      const agentFull = await create(a);
      expect(agentFull.status).toBe(429);
      expect(agentFull.body.code).toBe("rate_limited");
      expect(agentFull.retryAfter).toBe("1");

      // Agent b's two calls take the process to its limit of 4.
      held.push(create(b), create(b));
      await until("four calls in flight", async () => (await metric("countersign_calls_in_flight")) === 4);
      const processFull = await create(c);
      expect(processFull.status).toBe(503);
      expect(processFull.body).toMatchObject({ code: "unavailable", status: 503 });
      // Spread over 1–5 s, so refused clients do not all come back at once.
      expect(Number(processFull.retryAfter)).toBeGreaterThanOrEqual(1);
      expect(Number(processFull.retryAfter)).toBeLessThanOrEqual(5);
      // Reads of agents are shed the same way: the limit is on calls, not on creates.
      expect((await send(c, "/api/v1/requests")).status).toBe(503);

      // People are not shed, and have connections of their own while agents hold both of theirs.
      const list = await fetch(`${app.url}/api/v1/admin/agents`, { headers: { cookie }, signal: AbortSignal.timeout(CALL_TIMEOUT_MS) });
      expect(list.status).toBe(200);
    } finally {
      await blocker.query("COMMIT");
    }
    const answers = await Promise.all(held);
    // Every admitted call completes once the lock is gone.
    for (const r of answers) expect(r.status).toBe(201);
    await until("nothing in flight", async () => (await metric("countersign_calls_in_flight")) === 0);
    expect((await create(c)).status).toBe(201);
  });

  it("gives back a long-wait's place while it holds, and caps held waits per process with 503", async () => {
    const agent = await newAgent();
    const others = await Promise.all([newAgent(), newAgent()]);
    const ids = await Promise.all([agent, ...others, agent].map(async (x) => (await create(x)).body.id as string));
    const owners = [agent, ...others, agent];
    const waits = owners.slice(0, 3).map((x, i) => send(x, `/api/v1/requests/${ids[i]}?wait=30`));
    await until("three waits held", async () => (await metric("countersign_waiting_agents")) === 3);
    // Three held waits, yet the process (limit 4 in flight) and the agent (limit 2) still take calls.
    expect(await metric("countersign_calls_in_flight")).toBe(0);
    expect((await create(agent)).status).toBe(201);
    expect((await create(agent)).status).toBe(201);

    const fourth = await send(agent, `/api/v1/requests/${ids[3]}?wait=30`);
    expect(fourth.status).toBe(503);
    expect(fourth.body.code).toBe("unavailable");
    expect(Number(fourth.retryAfter)).toBeGreaterThan(0);
    // A wait that would not hold (wait=0) is an ordinary read and is answered.
    expect((await send(agent, `/api/v1/requests/${ids[3]}?wait=0`)).status).toBe(200);

    for (const id of ids.slice(0, 3)) {
      const res = await fetch(`${app.url}/api/v1/requests/${id}/decisions`, {
        method: "POST",
        headers: { cookie, origin: app.url, "content-type": "application/json" },
        body: JSON.stringify({ decision: "deny", reason: "overload test" }),
      });
      expect(res.status).toBe(200);
    }
    for (const w of await Promise.all(waits)) expect(w.body.status).toBe("denied");
  });
});

describe("the kill switch while agents exhaust their pool", () => {
  it("suspends an agent at once on the people's pool, while agents' calls hold every connection of theirs", async () => {
    const stuck = await Promise.all([newAgent(), newAgent()]);
    const runaway = await newAgent();
    const pending = (await create(runaway)).body.id as string;
    const waiter = send(runaway, `/api/v1/requests/${pending}?wait=30`);
    await until("the runaway agent waits", async () => (await metric("countersign_waiting_agents")) === 1);

    // Creates lock their agent's row: with the test holding two agents' rows, their four creates (two each, the
    // per-agent limit) hold every connection of the agents' pool, and the process's every place for calls.
    await blocker.query("BEGIN");
    await blocker.query("SELECT 1 FROM agents WHERE id = ANY($1) FOR UPDATE", [stuck.map((a) => a.agentId)]);
    let held: Promise<Awaited<ReturnType<typeof create>>>[] = [];
    try {
      held = stuck.flatMap((a) => [create(a), create(a)]);
      await until("the agents' pool is exhausted", async () => (await metric('countersign_db_pool_connections{pool="agents",state="busy"}')) === 4);
      await until("four calls in flight", async () => (await metric("countersign_calls_in_flight")) === 4);
      // The process is at its limit of calls in flight: the next agent call is told to come back, never queued.
      const shed = await create(runaway);
      expect(shed.status).toBe(503);
      expect(["1", "2", "3", "4", "5"]).toContain(shed.retryAfter);

      // On the agents' pool this would wait for a connection until the pool timeout (503): a 200 means it never did.
      const res = await fetch(`${app.url}/api/v1/admin/agents/${runaway.agentId}/suspend`, {
        method: "POST",
        headers: { cookie, origin: app.url, "content-type": "application/json" },
        body: JSON.stringify({ reason: "runaway" }),
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { cancelled_requests: string[] };
      expect(body.cancelled_requests).toContain(pending);
    } finally {
      await blocker.query("COMMIT");
    }
    // Woken waiters read on the people's connections too: answered though the agents' pool was full.
    expect((await waiter).body.status).toBe("cancelled");
    for (const r of await Promise.all(held)) expect(r.status).toBe(201);
  });
});

describe("what operators see of each call", () => {
  it("times every API call: Server-Timing (the app, its queries, its wait for a connection) on the answer, and a histogram by route template and status", async () => {
    const agent = await newAgent();
    const count = () => metric('countersign_http_request_duration_seconds_count{method="POST",route="/api/v1/requests",status="201"}').catch(() => 0);
    const before = await count();
    const res = await fetch(`${app.url}/api/v1/requests`, {
      method: "POST",
      headers: { authorization: `Bearer ${agent.key}`, "content-type": "application/json" },
      body: JSON.stringify(sampleRequest()),
    });
    expect(res.status).toBe(201);
    expect(res.headers.get("server-timing")).toMatch(/^app;dur=\d+\.\d, db;dur=\d+\.\d, pool;dur=\d+\.\d$/);
    // A create reads the key and writes the request: time in queries, always.
    expect(Number(/db;dur=([\d.]+)/.exec(res.headers.get("server-timing")!)![1])).toBeGreaterThan(0);
    expect(await count()).toBe(before + 1);
  });
});
