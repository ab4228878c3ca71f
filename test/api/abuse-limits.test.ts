import http from "node:http";
import { randomBytes } from "node:crypto";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { db } from "../../lib/db.ts";
import { newAgent, newUser, sampleRequest, type TestAgent, type TestUser } from "../support/fixtures.ts";
import { startTestApp, type TestApp } from "../support/test-server.ts";

/*
 * The abuse limits, on a private app with the production limits (the shared
 * test app raises them, since every suite calls it from one address) and
 * small caps where a test would otherwise need hundreds of connections. The
 * app listens on 127.0.0.1 and takes the client address from the socket
 * only; each test speaks from its own loopback source address (all of
 * 127/8 is loopback on Linux) through `localAddress`.
 */

const METRICS_TOKEN = randomBytes(16).toString("hex");
let app: TestApp;
let port: number;

beforeAll(async () => {
  app = await startTestApp(inject("databaseUrl"), {
    COUNTERSIGN_SIGNIN_ATTEMPTS_PER_15MIN: "10",
    COUNTERSIGN_SIGNIN_FAILURES_PER_ADDRESS_15MIN: "50",
    COUNTERSIGN_SIGNIN_FAILURES_PER_ACCOUNT_HOUR: "15",
    COUNTERSIGN_REDEEM_REFUSALS_PER_GRANT_MINUTE: "10",
    COUNTERSIGN_REDEEM_REFUSALS_PER_ADDRESS_MINUTE: "60",
    COUNTERSIGN_MAX_WAITS_PER_AGENT: "4",
    COUNTERSIGN_MAX_WAITS_PER_REQUEST: "3",
    COUNTERSIGN_AUDIT_REFUSAL_WINDOW_SECONDS: "10",
    COUNTERSIGN_SWEEP_INTERVAL_SECONDS: "1",
    COUNTERSIGN_METRICS_TOKEN: METRICS_TOKEN,
  });
  port = Number(new URL(app.url).port);
});
afterAll(async () => {
  await app?.stop();
});

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  json<T = any>(): T;
}

/** One HTTP exchange with the private app, from source address `from`. */
function call(from: string, method: string, path: string, options: { headers?: Record<string, string>; body?: string | unknown } = {}): Promise<Answer> {
  const body = options.body === undefined ? undefined : typeof options.body === "string" ? options.body : JSON.stringify(options.body);
  const headers: Record<string, string> = { host: `localhost:${port}`, ...options.headers };
  if (body !== undefined && typeof options.body !== "string") headers["content-type"] = "application/json";
  if (body !== undefined) headers["content-length"] = String(Buffer.byteLength(body));
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, method, path, headers, localAddress: from, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        resolve({ status: res.statusCode!, headers: res.headers, text, json: () => JSON.parse(text) });
      });
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

const asAgent = (agent: TestAgent) => ({ authorization: `Bearer ${agent.key}` });

/**
 * Signs in from `from` as the browser form does; the session cookie, or the
 * error code Auth.js redirected with (`credentials` for a wrong password,
 * `rate_limited` when a limit refused to check it).
 */
async function signInFrom(from: string, user: Pick<TestUser, "email" | "password">): Promise<{ cookie: string } | { error: string }> {
  const csrf = await call(from, "GET", "/api/auth/csrf");
  const csrfCookie = ([] as string[])
    .concat(csrf.headers["set-cookie"] ?? [])
    .map((c) => c.split(";")[0])
    .join("; ");
  const res = await call(from, "POST", "/api/auth/callback/credentials", {
    headers: { "content-type": "application/x-www-form-urlencoded", cookie: csrfCookie, origin: app.url },
    body: new URLSearchParams({ csrfToken: csrf.json().csrfToken, email: user.email, password: user.password }).toString(),
  });
  const session = ([] as string[]).concat(res.headers["set-cookie"] ?? []).find((c) => c.startsWith("authjs.session-token="));
  if (session) return { cookie: session.split(";")[0] };
  const location = new URL(String(res.headers.location), app.url);
  return { error: location.searchParams.get("code") ?? location.searchParams.get("error") ?? `status ${res.status}` };
}

async function signedIn(from: string, user: TestUser): Promise<string> {
  const result = await signInFrom(from, user);
  if (!("cookie" in result)) throw new Error(`sign-in failed: ${result.error}`);
  return result.cookie;
}

const LOCAL = "127.0.0.1";

async function createPending(agent: TestAgent): Promise<string> {
  const res = await call(LOCAL, "POST", "/api/v1/requests", { headers: asAgent(agent), body: sampleRequest() });
  expect(res.status, res.text).toBe(201);
  return res.json().id;
}

/** A grant issued by the private app (its issuer is that app's URL). */
async function approvedGrant(agent: TestAgent, cookie: string): Promise<{ requestId: string; grantId: string; token: string }> {
  const requestId = await createPending(agent);
  const decided = await call(LOCAL, "POST", `/api/v1/requests/${requestId}/decisions`, {
    headers: { cookie, origin: app.url },
    body: { decision: "approve", reason: "fine" },
  });
  expect(decided.status, decided.text).toBe(200);
  const grant = (await call(LOCAL, "GET", `/api/v1/requests/${requestId}`, { headers: asAgent(agent) })).json().grant;
  return { requestId, grantId: grant.id, token: grant.token };
}

/** The grant and sign-in events whose data has `value` under `key`, in insertion order. */
const refusalEvents = async (key: string, value: string) => {
  const rows = await db()
    .selectFrom("auditEvents")
    .select(["type", "requestId", "data"])
    .where(sql<string>`data->>${key}::text`, "=", value)
    .where("type", "in", ["grant.redeemed", "grant.redemption_refused", "user.sign_in_failed"])
    .orderBy("id")
    .execute();
  return rows.map((r) => ({ ...r, data: r.data as Record<string, any> }));
};
/** Refusals the events account for: a first refusal is one, a window's summary reports its repeats. */
const accountedFor = (events: { data: Record<string, any> }[]) => events.reduce((n, e) => n + (e.data.repeated ?? 1), 0);
const summaries = (events: { data: Record<string, any> }[]) => events.filter((e) => e.data.repeated !== undefined);

describe("replaying a redeemed grant", () => {
  it("answers 409 then 429 per grant and per source, and writes a bounded number of audit rows that still count every refusal", async () => {
    const agent = await newAgent();
    const cookie = await signedIn(LOCAL, await newUser("reviewer"));
    const grant = await approvedGrant(agent, cookie);
    const replayer = "127.0.0.4";
    expect((await call(replayer, "POST", "/api/v1/grants/redeem", { body: { token: grant.token } })).status).toBe(200);

    const answers: Answer[] = [];
    for (let i = 0; i < 100; i++) answers.push(await call(replayer, "POST", "/api/v1/grants/redeem", { body: { token: grant.token } }));
    const statuses = answers.map((a) => a.status);
    // The grant's allowance of refusals (10 a minute), then 429 for the grant, then for the whole source.
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(409));
    expect(statuses.slice(10)).toEqual(Array(90).fill(429));
    for (const a of answers.slice(10)) {
      expect(a.headers["content-type"]).toMatch(/^application\/problem\+json/);
      expect(a.json()).toMatchObject({ status: 429, code: "rate_limited" });
      expect(Number(a.headers["retry-after"])).toBeGreaterThanOrEqual(1);
      expect(Number(a.headers["retry-after"])).toBeLessThanOrEqual(60);
    }
    const perGrant = answers.filter((a) => a.status === 429 && /this grant/.test(a.json().detail)).length;
    const perSource = answers.filter((a) => a.status === 429 && /this address/.test(a.json().detail)).length;
    expect(perGrant).toBe(50); // the source's 60 refusals a minute, less the 10 409s
    expect(perSource).toBe(40);

    // The source is limited, not the executor's other grants elsewhere: a fresh grant redeems from another address.
    const fresh = await approvedGrant(agent, cookie);
    const refusedSource = await call(replayer, "POST", "/api/v1/grants/redeem", { body: { token: fresh.token } });
    expect(refusedSource.status).toBe(429);
    expect((await call("127.0.0.5", "POST", "/api/v1/grants/redeem", { body: { token: fresh.token } })).status).toBe(200);

    // Once the windows (10 s here) close, each kind of refusal is one event plus one summary with the count;
    // a slow machine may straddle a window, hence "at most".
    const ofGrant = () => refusalEvents("grant_id", grant.grantId);
    const byReason = async (reason: string) => (await ofGrant()).filter((e) => e.data.reason === reason);
    await expect.poll(async () => accountedFor(await byReason("already_redeemed")), { timeout: 30_000 }).toBe(10);
    await expect.poll(async () => accountedFor(await byReason("rate_limited")), { timeout: 30_000 }).toBe(perGrant);
    const events = await ofGrant();
    expect(events.filter((e) => e.type === "grant.redeemed")).toHaveLength(1);
    const refused = events.filter((e) => e.type === "grant.redemption_refused");
    expect(refused.length).toBeLessThanOrEqual(6);
    expect(summaries(refused).length).toBeGreaterThanOrEqual(2);
    expect(refused.every((e) => e.data.address === replayer)).toBe(true);
    expect(refused.filter((e) => e.data.reason === "already_redeemed").every((e) => e.requestId === grant.requestId)).toBe(true);
    expect(await db().selectFrom("auditRefusalCounts").select("key").where("key", "like", `%${grant.grantId}%`).execute()).toEqual([]);
  });

  it("ignores a client-sent client-address header on the agent API", async () => {
    const agent = await newAgent();
    const cookie = await signedIn(LOCAL, await newUser("reviewer"));
    const grant = await approvedGrant(agent, cookie);
    const res = await call("127.0.0.6", "POST", "/api/v1/grants/redeem", {
      headers: { "x-countersign-client-address": "203.0.113.9" },
      body: { token: grant.token },
    });
    expect(res.status).toBe(200);
    await call("127.0.0.6", "POST", "/api/v1/grants/redeem", { headers: { "x-countersign-client-address": "203.0.113.9" }, body: { token: grant.token } });
    const refused = (await refusalEvents("grant_id", grant.grantId)).filter((e) => e.type === "grant.redemption_refused");
    expect(refused.map((e) => e.data.address)).toEqual(["127.0.0.6"]);
  });
});

describe("long-waits", () => {
  const gauge = async () =>
    /countersign_waiting_agents (\d+)/.exec((await call(LOCAL, "GET", "/api/metrics", { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text)?.[1];
  const waitOn = (agent: TestAgent, id: string, seconds = 30) => call(LOCAL, "GET", `/api/v1/requests/${id}?wait=${seconds}`, { headers: asAgent(agent) });
  const cancel = (agent: TestAgent, id: string) => call(LOCAL, "POST", `/api/v1/requests/${id}/cancel`, { headers: asAgent(agent) });

  it("holds at most 3 on one request; more get 429 with Retry-After; the held ones answer when the request is decided", async () => {
    const agent = await newAgent();
    const id = await createPending(agent);
    const held = [waitOn(agent, id), waitOn(agent, id), waitOn(agent, id)];
    await expect.poll(gauge, { timeout: 10_000 }).toBe("3");

    const flood = await Promise.all(Array.from({ length: 20 }, () => waitOn(agent, id)));
    for (const res of flood) {
      expect(res.status).toBe(429);
      expect(res.json()).toMatchObject({ code: "rate_limited", detail: expect.stringMatching(/this request/) });
      expect(Number(res.headers["retry-after"])).toBeGreaterThanOrEqual(1);
    }
    // Not waiting costs no slot: a plain read still answers.
    expect((await call(LOCAL, "GET", `/api/v1/requests/${id}`, { headers: asAgent(agent) })).status).toBe(200);

    expect((await cancel(agent, id)).status).toBe(200);
    for (const res of await Promise.all(held)) {
      expect(res.status).toBe(200);
      expect(res.json().status).toBe("cancelled");
    }
    await expect.poll(gauge, { timeout: 10_000 }).toBe("0");
  });

  it("holds at most 4 for one agent across requests, and frees the slots as waits end", async () => {
    const agent = await newAgent();
    const [a, b, c] = [await createPending(agent), await createPending(agent), await createPending(agent)];
    const held = [waitOn(agent, a), waitOn(agent, a), waitOn(agent, b), waitOn(agent, b)];
    await expect.poll(gauge, { timeout: 10_000 }).toBe("4");

    const over = await waitOn(agent, c);
    expect(over.status).toBe(429);
    expect(over.json()).toMatchObject({ code: "rate_limited", detail: expect.stringMatching(/this agent/) });
    // Another agent is not affected.
    const other = await newAgent();
    const otherId = await createPending(other);
    expect((await waitOn(other, otherId, 1)).json().status).toBe("pending");

    expect((await cancel(agent, a)).status).toBe(200);
    await expect.poll(gauge, { timeout: 10_000 }).toBe("2");
    const after = await waitOn(agent, c, 1);
    expect(after.status).toBe(200);
    expect(after.json().status).toBe("pending");

    expect((await cancel(agent, b)).status).toBe(200);
    expect((await Promise.all(held)).map((r) => r.json().status)).toEqual(["cancelled", "cancelled", "cancelled", "cancelled"]);
  });
});

describe("password sign-in limits", () => {
  it("an attacker's 30 wrong passwords lock out only the attacker's address, not the reviewer", async () => {
    const reviewer = await newUser("reviewer");
    const attacker = "127.0.0.2";
    // All at once: the attempts are counted before the password is checked, so exactly ten are checked.
    const results = await Promise.all(
      Array.from({ length: 30 }, async (_, i) => {
        const r = await signInFrom(attacker, { email: reviewer.email, password: `guess-${i}` });
        return "cookie" in r ? "signed-in" : r.error;
      }),
    );
    expect(results.filter((r) => r === "credentials")).toHaveLength(10);
    expect(results.filter((r) => r === "rate_limited")).toHaveLength(20);
    // From the attacker's address even the right password is no longer checked.
    expect(await signInFrom(attacker, reviewer)).toEqual({ error: "rate_limited" });

    // The reviewer, from their own address, signs in at once.
    const own = await signInFrom("127.0.0.3", reviewer);
    expect(own).toMatchObject({ cookie: expect.stringMatching(/^authjs\.session-token=/) });

    // The ten checked failures are in the audit log as a first event and a summary with the count.
    const failed = async () => (await refusalEvents("email", reviewer.email)).filter((e) => e.type === "user.sign_in_failed");
    await expect.poll(async () => accountedFor(await failed()), { timeout: 30_000 }).toBe(10);
    const events = await failed();
    expect(events.length).toBeLessThanOrEqual(4);
    expect(summaries(events).length).toBeGreaterThanOrEqual(1);
    expect(events.every((e) => e.data.address === attacker)).toBe(true);
  });

  it("spraying many accounts from one address is limited per address", async () => {
    const sprayer = "127.0.0.7";
    // At once: attempts are counted before the password is checked, so exactly 50 are checked.
    const answers = await Promise.all(
      Array.from({ length: 52 }, async (_, i) => {
        const r = await signInFrom(sprayer, { email: `nobody-${i}-${randomBytes(3).toString("hex")}@example.test`, password: "guess" });
        return "cookie" in r ? "signed-in" : r.error;
      }),
    );
    // As a tally, so that an unexpected answer is named in the failure.
    const tally = Object.fromEntries([...new Set(answers)].map((a) => [a, answers.filter((x) => x === a).length]));
    expect(tally).toEqual({ credentials: 50, rate_limited: 2 });
    // Another address is unaffected.
    const user = await newUser("reviewer");
    expect(await signInFrom("127.0.0.8", user)).toMatchObject({ cookie: expect.any(String) });
  });

  it("distributed guessing past the account's ceiling stops new addresses, while the owner's known address still signs in", async () => {
    const reviewer = await newUser("reviewer");
    const home = "127.0.0.9";
    await signedIn(home, reviewer);
    // Two attacker addresses, ten wrong passwords each: more than the account's 15 failures an hour.
    for (const from of ["127.0.0.10", "127.0.0.11"]) {
      for (let i = 0; i < 10; i++) await signInFrom(from, { email: reviewer.email, password: `guess-${i}` });
    }
    expect(await signInFrom("127.0.0.12", reviewer)).toEqual({ error: "rate_limited" });
    expect(await signInFrom(home, reviewer)).toMatchObject({ cookie: expect.stringMatching(/^authjs\.session-token=/) });
  });
});
