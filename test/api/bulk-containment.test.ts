import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAdminToken } from "../../lib/admin-tokens/admin-tokens.ts";
import { suspendAgents } from "../../lib/agents/suspend-agent.ts";
import { db, kyselyOver } from "../../lib/db.ts";
import { passwordSignIn } from "../support/password-sign-in.ts";
import { runCli } from "../support/run-cli.ts";
import { type ScratchDatabase, scratchDatabase } from "../support/scratch-database.ts";
import { startTestApp, type TestApp } from "../support/test-server.ts";
import {
  agentFetch,
  baseUrl,
  createApproved,
  createPending,
  expectProblem,
  expectValidationError,
  getRequest,
  newUser,
  redeem,
  reviewerFetch,
  sampleRequest,
  signIn,
  type TestAgent,
  unique,
} from "../support/fixtures.ts";

/*
 * Bulk containment: suspend (and resume) every agent with a tag, or every
 * agent, in one call. Tag selectors run against the shared app with tags of
 * their own. `all: true` would stop other suites' agents, so it runs on a
 * scratch database with an app of its own, which also holds the long-waiting
 * agents (its waiting-agents gauge then counts only ours).
 */

let admin: { id: string; cookie: string };
let reviewerCookie: string;
let auditorCookie: string;
let token: { tokenId: string; token: string };

beforeAll(async () => {
  const [a, r, au] = await Promise.all([newUser("admin"), newUser("reviewer"), newUser("auditor")]);
  [admin, reviewerCookie, auditorCookie] = await Promise.all([signIn(a).then((cookie) => ({ id: a.id, cookie })), signIn(r), signIn(au)]);
  token = await createAdminToken({ name: unique("bulk"), actor: "test" });
});

const adminPost = (path: string, json?: unknown) => reviewerFetch(admin.cookie, `/api/v1/admin${path}`, { method: "POST", json });
const tokenPost = (path: string, json: unknown, base = baseUrl(), bearer = token.token) =>
  fetch(`${base}/api/v1/admin${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${bearer}`, "content-type": "application/json" },
    body: JSON.stringify(json),
  });

/** Registers an agent with tags through the admin API (session at `base`). */
async function taggedAgent(tags: string[], prefix = "bulk", base = baseUrl(), cookie = admin.cookie): Promise<TestAgent> {
  const name = unique(prefix);
  const res = await fetch(`${base}/api/v1/admin/agents`, {
    method: "POST",
    headers: { cookie, origin: base, "content-type": "application/json" },
    body: JSON.stringify({ name, tags }),
  });
  if (res.status !== 201) throw new Error(`create agent: ${res.status} ${await res.text()}`);
  const body = await res.json();
  return { agentId: body.agent.id, name, key: body.key };
}

async function pendingAt(base: string, agent: TestAgent): Promise<string> {
  const res = await fetch(`${base}/api/v1/requests`, {
    method: "POST",
    headers: { authorization: `Bearer ${agent.key}`, "content-type": "application/json" },
    body: JSON.stringify(sampleRequest({ action: "bulk.test", summary: unique("bulk containment") })),
  });
  const body = await res.json();
  if (res.status !== 201 || body.status !== "pending") throw new Error(`create: ${res.status} ${JSON.stringify(body)}`);
  return body.id;
}

type Events = { type: string; actor: string; agentId: string | null; requestId: string | null; data: unknown }[];
const eventsOf = (agentIds: string[], q = db()): Promise<Events> =>
  agentIds.length
    ? q
        .selectFrom("auditEvents")
        .select(["type", "actor", "agentId", "requestId", "data"])
        .where("agentId", "=", (eb) => eb.fn.any(eb.val(agentIds)))
        .orderBy("id")
        .execute()
    : Promise.resolve([]);

const ids = (list: { agent: { id: string } }[]) => list.map((s) => s.agent.id).sort();
const sorted = (agents: TestAgent[]) => agents.map((a) => a.agentId).sort();

describe("suspending every agent with a tag", () => {
  it("suspends the active ones in one call: keys refused, pending requests cancelled, grants revoked, one event per agent with the selector", async () => {
    const tag = unique("finance");
    const [a1, a2, already, retired, other] = await Promise.all([
      taggedAgent([tag]),
      taggedAgent(["eu", tag]),
      taggedAgent([tag]),
      taggedAgent([tag]),
      taggedAgent([unique("support")]),
    ]);
    const [p1, p2, p3] = [await createPending(a1), await createPending(a1), await createPending(a2)];
    const approved = await createApproved(a1, reviewerCookie);
    const othersPending = await createPending(other);
    expect((await adminPost(`/agents/${already.agentId}/suspend`, { reason: "earlier" })).status).toBe(200);
    expect((await adminPost(`/agents/${retired.agentId}/retire`)).status).toBe(200);

    const res = await adminPost("/agents/suspend", { tag, reason: "fraud pattern" });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(ids(body.suspended)).toEqual(sorted([a1, a2]));
    const byId = new Map(body.suspended.map((s: { agent: { id: string } }) => [s.agent.id, s]));
    expect(byId.get(a1.agentId)).toMatchObject({ agent: { status: "suspended", requests: { pending: 0 } }, cancelled_requests: 2, revoked_grants: 1 });
    expect(byId.get(a2.agentId)).toMatchObject({ agent: { status: "suspended", tags: ["eu", tag] }, cancelled_requests: 1, revoked_grants: 0 });
    // Already suspended: reported, not an error. Retired: never matched.
    expect(body.skipped).toEqual([{ agent_id: already.agentId, name: already.name, status: "suspended" }]);

    // Keys refused, grants revoked, requests cancelled by the system with the reason.
    for (const a of [a1, a2]) await expectProblem(await agentFetch(a.key, `/api/v1/requests/${p1.id}`), 403, "agent_suspended");
    await expectProblem(await redeem({ token: approved.grant.token }), 410, "grant_revoked");
    const rows = await db()
      .selectFrom("actionRequests")
      .select(["id", "status", "decisionBy", "decisionReason"])
      .where("id", "=", (eb) => eb.fn.any(eb.val([p1.id, p2.id, p3.id])))
      .execute();
    expect(rows).toHaveLength(3);
    for (const r of rows) expect(r).toMatchObject({ status: "cancelled", decisionBy: "system", decisionReason: "agent suspended: fraud pattern" });
    // Another tag is untouched.
    expect((await getRequest(other, othersPending.id)).status).toBe("pending");

    // Audit: one agent.suspended per agent carrying the selector, one request.cancelled per request.
    const events = await eventsOf([a1.agentId, a2.agentId, already.agentId, retired.agentId]);
    const suspended = events.filter((e) => e.type === "agent.suspended");
    expect(suspended.map((e) => e.agentId).sort()).toEqual([a1.agentId, a2.agentId, already.agentId].sort());
    expect(suspended.find((e) => e.agentId === a1.agentId)).toMatchObject({
      actor: `user:${admin.id}`,
      data: {
        name: a1.name,
        reason: "fraud pattern",
        before: { status: "active" },
        after: { status: "suspended" },
        cancelled_requests: 2,
        revoked_grants: 1,
        bulk: { tag },
      },
    });
    expect(suspended.find((e) => e.agentId === already.agentId)?.data).not.toHaveProperty("bulk");
    const cancelled = events.filter((e) => e.type === "request.cancelled");
    expect(cancelled.map((e) => e.requestId).sort()).toEqual([p1.id, p2.id, p3.id].sort());
    expect(cancelled.every((e) => e.actor === "system" && (e.data as { reason: string }).reason === "agent suspended")).toBe(true);
  });

  it("resume by tag lets the suspended ones back (cancelled work stays cancelled) and skips active ones; an admin token may do both", async () => {
    const tag = unique("ops");
    const [b1, b2] = await Promise.all([taggedAgent([tag]), taggedAgent([tag])]);
    const pending = await createPending(b1);
    const suspend = await tokenPost("/agents/suspend", { tag });
    expect(suspend.status).toBe(200);
    expect(ids((await suspend.json()).suspended)).toEqual(sorted([b1, b2]));
    const b3 = await taggedAgent([tag]);

    const res = await tokenPost("/agents/resume", { tag, reason: "incident closed" });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(ids(body.resumed)).toEqual(sorted([b1, b2]));
    expect(body.resumed.every((r: { agent: { status: string } }) => r.agent.status === "active")).toBe(true);
    expect(body.skipped).toEqual([{ agent_id: b3.agentId, name: b3.name, status: "active" }]);

    expect((await getRequest(b1, pending.id)).status).toBe("cancelled");
    expect((await createPending(b1)).body.status).toBe("pending");
    const events = await eventsOf([b1.agentId, b2.agentId, b3.agentId]);
    const resumed = events.filter((e) => e.type === "agent.resumed");
    expect(resumed.map((e) => e.agentId).sort()).toEqual(sorted([b1, b2]));
    for (const e of resumed) {
      expect(e).toMatchObject({
        actor: `admin_token:${token.tokenId}`,
        data: { reason: "incident closed", before: { status: "suspended" }, after: { status: "active" }, bulk: { tag } },
      });
    }
    expect(events.filter((e) => e.type === "agent.suspended").every((e) => e.actor === `admin_token:${token.tokenId}`)).toBe(true);
  });

  it("an admin token pulls the single kill switch too (incident scripts), recorded as the token", async () => {
    const agent = await taggedAgent([unique("solo")]);
    const pending = await createPending(agent);
    const suspended = await tokenPost(`/agents/${agent.agentId}/suspend`, { reason: "script" });
    expect(suspended.status).toBe(200);
    expect((await suspended.json()).cancelled_requests).toEqual([pending.id]);
    expect((await tokenPost(`/agents/${agent.agentId}/suspend`, {})).status).toBe(409);
    expect((await tokenPost(`/agents/${agent.agentId}/resume`, {})).status).toBe(200);
    const events = await eventsOf([agent.agentId]);
    for (const type of ["agent.suspended", "agent.resumed"]) {
      expect(events.find((e) => e.type === type)).toMatchObject({ actor: `admin_token:${token.tokenId}`, agentId: agent.agentId });
    }
  });

  it("a tag that matches nothing answers 200 with empty lists", async () => {
    for (const path of ["/agents/suspend", "/agents/resume"]) {
      const res = await adminPost(path, { tag: unique("nobody") });
      expect(res.status).toBe(200);
      const body = await res.json();
      expect(body.skipped).toEqual([]);
      expect(body.suspended ?? body.resumed).toEqual([]);
    }
  });
});

describe("who may call it, and what it accepts", () => {
  it("refuses reviewers and auditors (403), signed-out callers and agent keys (401), and changes nothing", async () => {
    const tag = unique("guarded");
    const agent = await taggedAgent([tag]);
    for (const path of ["/agents/suspend", "/agents/resume"]) {
      await expectProblem(await reviewerFetch(reviewerCookie, `/api/v1/admin${path}`, { method: "POST", json: { tag } }), 403, "forbidden");
      await expectProblem(await reviewerFetch(auditorCookie, `/api/v1/admin${path}`, { method: "POST", json: { tag } }), 403, "forbidden");
      await expectProblem(
        await fetch(`${baseUrl()}/api/v1/admin${path}`, { method: "POST", headers: { origin: baseUrl() }, body: JSON.stringify({ tag }) }),
        401,
        "unauthenticated",
      );
      await expectProblem(await tokenPost(path, { tag }, baseUrl(), agent.key), 401, "unauthenticated");
      // A cross-site request from an admin's browser is refused too.
      await expectProblem(
        await reviewerFetch(admin.cookie, `/api/v1/admin${path}`, { method: "POST", json: { tag }, origin: "https://evil.example" }),
        403,
        "forbidden",
      );
    }
    expect((await createPending(agent)).body.status).toBe("pending");
    expect((await eventsOf([agent.agentId])).filter((e) => e.type === "agent.suspended" || e.type === "agent.resumed")).toEqual([]);
  });

  it("wants exactly one selector (422 naming the field), no unknown fields and a bounded reason", async () => {
    for (const path of ["/agents/suspend", "/agents/resume"]) {
      await expectValidationError(await adminPost(path, {}), "tag");
      await expectValidationError(await adminPost(path, { reason: "no selector" }), "tag");
      await expectValidationError(await adminPost(path, { tag: "finance", all: true }), "all");
      await expectValidationError(await adminPost(path, { all: false }), "all");
      await expectValidationError(await adminPost(path, { tag: "has space" }), "tag");
      await expectValidationError(await adminPost(path, { tag: "" }), "tag");
      await expectValidationError(await adminPost(path, { tag: "finance", reason: "x".repeat(501) }), "reason");
      await expectProblem(await adminPost(path, { tag: "finance", agents: ["x"] }), 422, "validation_failed");
      await expectProblem(await adminPost(path), 422, "validation_failed");
    }
  });

  it("its static paths do not fall through to the agent routes: other methods answer 405", async () => {
    const res = await reviewerFetch(admin.cookie, "/api/v1/admin/agents/suspend");
    await expectProblem(res, 405, "method_not_allowed");
    expect(res.headers.get("allow")).toBe("POST");
  });
});

describe("a flood of creates racing a bulk suspension (real PostgreSQL)", () => {
  it("leaves no pending request behind: every create is either 201 and then cancelled, or 403 agent_suspended; nothing answers 5xx", async () => {
    const tag = unique("flood");
    const agents = await Promise.all(Array.from({ length: 6 }, () => taggedAgent([tag], "flood")));
    const created: { agent: TestAgent; id: string }[] = [];
    const statuses: number[] = [];
    let suspended = false;
    // Four loops per agent, each creating until its agent is refused (bounded).
    const flood = agents.flatMap((agent) =>
      Array.from({ length: 4 }, async () => {
        for (let i = 0; i < 60; i++) {
          const res = await agentFetch(agent.key, "/api/v1/requests", {
            method: "POST",
            json: sampleRequest({ action: "bulk.flood", summary: unique("flood") }),
          });
          statuses.push(res.status);
          const body = await res.json();
          if (res.status === 201) created.push({ agent, id: body.id });
          else if (res.status === 403) {
            expect(body.code).toBe("agent_suspended");
            return;
          } else throw new Error(`unexpected ${res.status}: ${JSON.stringify(body)}`);
        }
        if (!suspended) throw new Error("the flood ended before the suspension");
      }),
    );
    // Pull the switch mid-flood: once creates are landing for every agent.
    await expect.poll(() => new Set(created.map((c) => c.agent.agentId)).size, { timeout: 20_000 }).toBe(agents.length);
    const res = await adminPost("/agents/suspend", { tag, reason: "flood" });
    suspended = true;
    expect(res.status).toBe(200);
    expect(ids((await res.json()).suspended)).toEqual(sorted(agents));
    await Promise.all(flood);

    expect(statuses.every((s) => s === 201 || s === 403)).toBe(true);
    expect(statuses.filter((s) => s === 403)).toHaveLength(agents.length * 4);
    const stillPending = await db()
      .selectFrom("actionRequests")
      .select("id")
      .where("agentId", "=", (eb) => eb.fn.any(eb.val(agents.map((a) => a.agentId))))
      .where("status", "=", "pending")
      .execute();
    expect(stillPending).toEqual([]);
    const rows = await db()
      .selectFrom("actionRequests")
      .select(["id", "status"])
      .where("id", "=", (eb) => eb.fn.any(eb.val(created.map((c) => c.id))))
      .execute();
    expect(rows).toHaveLength(created.length);
    expect(rows.every((r) => r.status === "cancelled")).toBe(true);
    // One event per agent, one cancellation event per created request.
    const events = await eventsOf(agents.map((a) => a.agentId));
    expect(events.filter((e) => e.type === "agent.suspended")).toHaveLength(agents.length);
    expect(
      events
        .filter((e) => e.type === "request.cancelled")
        .map((e) => e.requestId)
        .sort(),
    ).toEqual(created.map((c) => c.id).sort());
  });
});

// ---------------------------------------------------------------------------

describe("every agent (a scratch database and an app of this suite's own)", () => {
  let scratch: ScratchDatabase;
  let app: TestApp;
  let cookie: string;
  let scratchToken: string;
  const q = () => kyselyOver(scratch.pool);

  const cli = (args: string[]) => runCli(args, { ...process.env, DATABASE_URL: scratch.url, LOG_LEVEL: "warn" });
  const post = (path: string, json: unknown) =>
    fetch(`${app.url}/api/v1/admin${path}`, {
      method: "POST",
      headers: { cookie, origin: app.url, "content-type": "application/json" },
      body: JSON.stringify(json),
    });
  const agentAt = (tags: string[], prefix = "all") => taggedAgent(tags, prefix, app.url, cookie);
  const waitingAgents = async () => Number(/countersign_waiting_agents (\d+)/.exec(await (await fetch(`${app.url}/api/metrics`)).text())?.[1]);

  beforeAll(async () => {
    scratch = await scratchDatabase();
    app = await startTestApp(scratch.url);
    const email = `${unique("admin")}@example.test`;
    const [user, tokenOut] = await Promise.all([
      cli(["users", "create", "--email", email, "--role", "admin", "--json"]),
      cli(["admin-tokens", "create", "--name", "incident", "--json"]),
    ]);
    expect(user.code, user.stderr).toBe(0);
    expect(tokenOut.code, tokenOut.stderr).toBe(0);
    const signedIn = await passwordSignIn(app.url, { email, password: JSON.parse(user.stdout).password });
    if (!signedIn) throw new Error("sign-in on the scratch app failed");
    cookie = signedIn;
    scratchToken = JSON.parse(tokenOut.stdout).token;
  });
  afterAll(async () => {
    await app?.stop();
    await scratch?.drop();
  });

  it("all: suspends every active agent, answers its long-waiting requests cancelled at once; resume all lets them back", async () => {
    const agents = await Promise.all([agentAt(["a"]), agentAt(["b"]), agentAt([]), agentAt(["a", "b"])]);
    const [already, retired] = await Promise.all([agentAt(["a"]), agentAt([])]);
    expect((await post(`/agents/${already.agentId}/suspend`, {})).status).toBe(200);
    expect((await post(`/agents/${retired.agentId}/retire`, {})).status).toBe(200);
    const pending = await Promise.all(agents.map((a) => pendingAt(app.url, a)));
    // Three agents long-wait on their requests on this app.
    const waits = [0, 1, 3].map((i) =>
      fetch(`${app.url}/api/v1/requests/${pending[i]}?wait=30`, { headers: { authorization: `Bearer ${agents[i].key}` } }).then(async (r) => ({
        status: r.status,
        body: await r.json(),
      })),
    );
    await expect.poll(waitingAgents, { timeout: 10_000 }).toBe(3);

    const res = await tokenPost("/agents/suspend", { all: true, reason: "credential leak" }, app.url, scratchToken);
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(ids(body.suspended)).toEqual(sorted(agents));
    expect(body.suspended.every((s: { cancelled_requests: number }) => s.cancelled_requests === 1)).toBe(true);
    expect(body.skipped).toEqual([{ agent_id: already.agentId, name: already.name, status: "suspended" }]);

    for (const w of await Promise.all(waits)) {
      expect(w.status).toBe(200);
      expect(w.body).toMatchObject({ status: "cancelled", decision: { by: "system", reason: "agent suspended: credential leak" } });
    }
    const events = await eventsOf(
      [...agents, already, retired].map((a) => a.agentId),
      q(),
    );
    const suspendedEvents = events.filter((e) => e.type === "agent.suspended" && (e.data as { bulk?: unknown }).bulk);
    expect(suspendedEvents.map((e) => e.agentId).sort()).toEqual(sorted(agents));
    expect(suspendedEvents.every((e) => (e.data as { bulk: unknown }).bulk && JSON.stringify((e.data as { bulk: unknown }).bulk) === '{"all":true}')).toBe(
      true,
    );
    expect(
      events
        .filter((e) => e.type === "request.cancelled")
        .map((e) => e.requestId)
        .sort(),
    ).toEqual([...pending].sort());

    const resumed = await post("/agents/resume", { all: true });
    expect(resumed.status).toBe(200);
    const r = await resumed.json();
    expect(ids(r.resumed)).toEqual(sorted([...agents, already]));
    expect(r.skipped).toEqual([]);
    const statuses = await q()
      .selectFrom("agents")
      .select(["id", "status"])
      .where("id", "=", (eb) => eb.fn.any(eb.val([...agents, already, retired].map((a) => a.agentId))))
      .execute();
    expect(Object.fromEntries(statuses.map((s) => [s.id, s.status]))).toEqual(
      Object.fromEntries([...[...agents, already].map((a) => [a.agentId, "active"]), [retired.agentId, "retired"]]),
    );
  });

  it("two overlapping bulk suspends (a tag and all) and 20 single suspends at once: no 5xx, no deadlock, each agent suspended exactly once", async () => {
    // Every agent from earlier tests is active again; start from a clean slate of this test's own.
    await tokenPost("/agents/suspend", { all: true }, app.url, scratchToken);
    const tag = "overlap";
    const agents = await Promise.all(Array.from({ length: 30 }, (_, i) => agentAt(i < 20 ? [tag] : ["other"], "race")));
    await Promise.all(agents.flatMap((a) => [pendingAt(app.url, a), pendingAt(app.url, a)]));
    const singles = agents.slice(5, 25);

    const [byTag, all, ...single] = await Promise.all([
      post("/agents/suspend", { tag }),
      tokenPost("/agents/suspend", { all: true }, app.url, scratchToken),
      ...singles.map((a) => post(`/agents/${a.agentId}/suspend`, { reason: "single" })),
    ]);
    expect(byTag.status).toBe(200);
    expect(all.status).toBe(200);
    for (const s of single) expect([200, 409]).toContain(s.status);
    const [tagBody, allBody] = [await byTag.json(), await all.json()];
    const singleWon = singles.filter((_, i) => single[i].status === 200).map((a) => a.agentId);
    // Every agent was suspended by exactly one of the calls.
    const winners = [...ids(tagBody.suspended), ...ids(allBody.suspended).filter((id) => agents.some((a) => a.agentId === id)), ...singleWon];
    expect(winners.sort()).toEqual(sorted(agents));
    for (const s of single.filter((x) => x.status === 409)) expect((await s.json()).code).toBe("conflict");

    const events = await eventsOf(
      agents.map((a) => a.agentId),
      q(),
    );
    const perAgent = new Map<string, number>();
    for (const e of events.filter((x) => x.type === "agent.suspended")) perAgent.set(e.agentId!, (perAgent.get(e.agentId!) ?? 0) + 1);
    expect([...perAgent.keys()].sort()).toEqual(sorted(agents));
    expect([...perAgent.values()].every((n) => n === 1)).toBe(true);
    expect(events.filter((e) => e.type === "request.cancelled")).toHaveLength(agents.length * 2);
  });

  it("is a few statements whatever the number of agents and requests (set-based, no per-agent round trips)", async () => {
    const [one, many] = ["one", "many"];
    await agentAt([one]).then((a) => pendingAt(app.url, a));
    const crowd = await Promise.all(Array.from({ length: 25 }, () => agentAt([many], "crowd")));
    await Promise.all(crowd.flatMap((a) => [pendingAt(app.url, a), pendingAt(app.url, a)]));

    const statements = async (tag: string) => {
      let n = 0;
      const counted = new WeakSet<pg.PoolClient>();
      const counting = {
        connect: async () => {
          const client = await scratch.pool.connect();
          if (!counted.has(client)) {
            counted.add(client);
            const query = client.query.bind(client) as (...args: unknown[]) => unknown;
            (client as { query: unknown }).query = (...args: unknown[]) => {
              n++;
              return query(...args);
            };
          }
          return client;
        },
        end: async () => {},
      } as unknown as pg.Pool;
      const result = await suspendAgents({ selector: { tag }, actor: "test", on: kyselyOver(counting) });
      return { n, result };
    };
    const small = await statements(one);
    const large = await statements(many);
    expect(small.result.stopped).toHaveLength(1);
    expect(large.result.stopped).toHaveLength(25);
    expect(large.result.stopped.reduce((n, s) => n + s.cancelledRequests.length, 0)).toBe(50);
    expect(large.n).toBe(small.n);
    expect(large.n).toBeLessThanOrEqual(8);
  });
});
