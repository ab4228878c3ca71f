import { randomBytes } from "node:crypto";
import { expect, inject } from "vitest";
import { startAutoReviewer, type AutoReviewer } from "./auto-reviewer.ts";
import { passwordSignIn } from "./password-sign-in.ts";
import { createAgent } from "../../lib/agents/create-agent.ts";
import { parseAgentKey } from "../../lib/agents/keys.ts";
import { createUser } from "../../lib/users/create-user.ts";
import type { Role } from "../../lib/users/roles.ts";

export const baseUrl = () => inject("baseUrl");

export function unique(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString("hex")}`;
}

export interface TestAgent {
  agentId: string;
  name: string;
  key: string;
}

export async function newAgent(options: { owner?: string; name?: string } = {}): Promise<TestAgent> {
  const name = options.name ?? unique("agent");
  const { agentId, key } = await createAgent({ name, ownerEmail: options.owner ?? null, actor: "test" });
  return { agentId, name, key };
}

export interface TestUser {
  id: string;
  email: string;
  password: string;
}

export async function newUser(role: Role = "reviewer"): Promise<TestUser> {
  const email = `${unique(role)}@example.test`;
  const password = randomBytes(12).toString("base64url");
  const { userId } = await createUser({ email, role, password, actor: "test" });
  return { id: userId, email, password };
}

/** Calls the API as an agent. */
export function agentFetch(key: string, path: string, init: RequestInit & { json?: unknown } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set("authorization", `Bearer ${key}`);
  if (init.json !== undefined) headers.set("content-type", "application/json");
  return fetch(baseUrl() + path, { ...init, headers, body: init.json !== undefined ? JSON.stringify(init.json) : init.body });
}

export const sampleRequest = (overrides: Record<string, unknown> = {}) => ({
  action: "payments.refund",
  resource: "customer:cus_123",
  params: { amount: 500, currency: "USD" },
  summary: "Refund $500 to customer cus_123",
  ...overrides,
});

export async function createPending(agent: TestAgent, overrides: Record<string, unknown> = {}): Promise<{ id: string; body: any }> {
  const res = await agentFetch(agent.key, "/api/v1/requests", { method: "POST", json: sampleRequest(overrides) });
  if (res.status !== 201) throw new Error(`create failed: ${res.status} ${await res.text()}`);
  const body = await res.json();
  return { id: body.id, body };
}

/** Signs in through Auth.js's credentials provider, as a browser form would; returns the session cookie. */
export async function signIn(user: Pick<TestUser, "email" | "password">): Promise<string> {
  const cookie = await passwordSignIn(baseUrl(), user);
  if (!cookie) throw new Error(`sign-in failed for ${user.email}`);
  return cookie;
}

/** Calls a session endpoint as a signed-in reviewer, from the app's own origin. */
export function reviewerFetch(cookie: string, path: string, init: RequestInit & { json?: unknown; origin?: string | null } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set("cookie", cookie);
  if (init.origin !== null) headers.set("origin", init.origin ?? baseUrl());
  if (init.json !== undefined) headers.set("content-type", "application/json");
  return fetch(baseUrl() + path, { ...init, headers, body: init.json !== undefined ? JSON.stringify(init.json) : init.body });
}

export function decide(cookie: string, requestId: string, decision: "approve" | "deny", reason?: string): Promise<Response> {
  return reviewerFetch(cookie, `/api/v1/requests/${requestId}/decisions`, { method: "POST", json: { decision, reason } });
}

// ---------------------------------------------------------------------------
// Additions for the API and domain suites.

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  errors?: { path: string; message: string }[];
}

/** Asserts an RFC 9457 problem response with `status` and `code`, and returns its body. */
export async function expectProblem(res: Response, status: number, code: string): Promise<Problem> {
  const text = await res.text();
  expect({ status: res.status, body: text }).toMatchObject({ status });
  expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
  const body = JSON.parse(text) as Problem;
  expect(body).toMatchObject({ status, code });
  expect(typeof body.type).toBe("string");
  expect(typeof body.title).toBe("string");
  expect(typeof body.detail).toBe("string");
  return body;
}

/** A 422 `validation_failed` whose `errors` include one whose path or message names `field`. */
export async function expectValidationError(res: Response, field: string): Promise<Problem> {
  const body = await expectProblem(res, 422, "validation_failed");
  expect(body.errors?.length).toBeGreaterThan(0);
  const named = body.errors!.some((e) => e.path === field || e.path.startsWith(`${field}.`) || e.path.endsWith(`.${field}`) || e.message.includes(field));
  expect(named, `errors should name ${field}: ${JSON.stringify(body.errors)}`).toBe(true);
  return body;
}

/** POST /api/v1/requests as `agent`. */
export function createRequestRaw(agent: TestAgent, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return agentFetch(agent.key, "/api/v1/requests", { method: "POST", json: body, headers });
}

/** GET /api/v1/requests/{id} as the owning agent, optionally long-waiting. */
export async function getRequest(agent: TestAgent, id: string, wait?: number): Promise<any> {
  const res = await agentFetch(agent.key, `/api/v1/requests/${id}${wait === undefined ? "" : `?wait=${wait}`}`);
  if (res.status !== 200) throw new Error(`get failed: ${res.status} ${await res.text()}`);
  return res.json();
}

/** Long-waits until the request leaves `pending` (each wait is bounded by the server at 60 s). */
export async function waitUntilDecided(agent: TestAgent, id: string): Promise<any> {
  for (let i = 0; i < 3; i++) {
    const body = await getRequest(agent, id, 30);
    if (body.status !== "pending") return body;
  }
  throw new Error(`request ${id} is still pending`);
}

/** Creates a request and approves it as the reviewer behind `cookie`; returns the agent's view (with the grant token). */
export async function createApproved(agent: TestAgent, cookie: string, overrides: Record<string, unknown> = {}): Promise<any> {
  const { id } = await createPending(agent, overrides);
  const res = await decide(cookie, id, "approve", "approved by the test");
  if (res.status !== 200) throw new Error(`approve failed: ${res.status} ${await res.text()}`);
  return getRequest(agent, id);
}

export function redeem(body: Record<string, unknown>, base = baseUrl()): Promise<Response> {
  return fetch(`${base}/api/v1/grants/redeem`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
}

/** The key id (`csk_<id>_…`) of an agent key, for tampering with its row. */
export function keyIdOf(key: string): string {
  const parsed = parseAgentKey(key);
  if (!parsed) throw new Error("not an agent key");
  return parsed.id;
}

/**
 * Signs in against the app at `base`; the session cookie, or null when refused.
 * (`signIn` throws instead; this is for tests that expect refusals.)
 */
export function trySignIn(user: Pick<TestUser, "email" | "password">, base = baseUrl()): Promise<string | null> {
  return passwordSignIn(base, user);
}

/** Runs `n` copies of `task` at once and returns every result. */
export function concurrently<T>(n: number, task: (i: number) => Promise<T>): Promise<T[]> {
  return Promise.all(Array.from({ length: n }, (_, i) => task(i)));
}

/** A signed-in reviewer that decides every pending request of `agent` (see auto-reviewer.ts). */
export async function autoReviewerFor(agent: Pick<TestAgent, "agentId">): Promise<AutoReviewer> {
  const cookie = await signIn(await newUser("reviewer"));
  return startAutoReviewer({ baseUrl: baseUrl(), cookie, agentId: agent.agentId });
}
