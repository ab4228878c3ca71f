import { randomBytes } from "node:crypto";
import { inject } from "vitest";
import { createAgent } from "../../lib/agents/create-agent.ts";
import { createUser, type Role } from "../../lib/users/create-user.ts";

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
  const csrfRes = await fetch(`${baseUrl()}/api/auth/csrf`);
  const { csrfToken } = (await csrfRes.json()) as { csrfToken: string };
  const csrfCookie = csrfRes.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
  const res = await fetch(`${baseUrl()}/api/auth/callback/credentials`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", cookie: csrfCookie, origin: baseUrl() },
    body: new URLSearchParams({ csrfToken, email: user.email, password: user.password }),
  });
  const session = res.headers.getSetCookie().find((c) => c.startsWith("authjs.session-token="));
  if (!session) throw new Error(`sign-in failed for ${user.email} (status ${res.status}, location ${res.headers.get("location")})`);
  return session.split(";")[0];
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
