import { randomBytes } from "node:crypto";
import { test as base, expect, type Page } from "@playwright/test";
import { e2eState, type E2EState } from "./state.ts";
import { passwordSignIn } from "../../test/support/password-sign-in.ts";
import { EXAMPLE_CONTEXT } from "../../lib/schemas/examples.ts";

/** Specs get the running app as `baseURL`, and the seeded users and agents as `app`. */
export const test = base.extend<{ app: E2EState }>({
  app: async ({}, use) => use(e2eState()),
  baseURL: async ({}, use) => use(e2eState().url),
});
export { expect };

export const unique = (prefix: string) => `${prefix} ${randomBytes(3).toString("hex")}`;

/** Signs in through the sign-in form, as a person would, and waits for the queue. */
export async function signInWithForm(page: Page, user: { email: string; password: string }, path = "/"): Promise<void> {
  await page.goto(path);
  await expect(page).toHaveURL(/\/signin/);
  await page.getByLabel("Email").fill(user.email);
  await page.getByLabel("Password").fill(user.password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page.getByTestId("signed-in-as")).toHaveText(user.email);
}

/** Waits until the page holds an open review stream and has loaded the queue, so later changes must arrive live. */
export async function waitForLiveQueue(page: Page): Promise<void> {
  await expect(page.getByTestId("live-indicator")).toHaveAttribute("data-state", "live");
  await expect(page.getByTestId("queue-count")).toBeVisible();
}

/** The agent's side of the API, with its own key. */
export function agentApi(key: string) {
  const call = (path: string, init: { method?: string; json?: unknown } = {}) =>
    fetch(e2eState().url + path, {
      method: init.method ?? "GET",
      headers: { authorization: `Bearer ${key}`, ...(init.json !== undefined ? { "content-type": "application/json" } : {}) },
      body: init.json !== undefined ? JSON.stringify(init.json) : undefined,
    });
  return {
    async createRequest(body: Record<string, unknown>): Promise<RequestObject> {
      const res = await call("/api/v1/requests", { method: "POST", json: body });
      if (res.status !== 201) throw new Error(`creating the request failed: ${res.status} ${await res.text()}`);
      return (await res.json()) as RequestObject;
    },
    async getRequest(id: string, waitSeconds = 0): Promise<RequestObject> {
      const res = await call(`/api/v1/requests/${id}?wait=${waitSeconds}`);
      if (res.status !== 200) throw new Error(`reading the request failed: ${res.status} ${await res.text()}`);
      return (await res.json()) as RequestObject;
    },
  };
}

export interface RequestObject {
  id: string;
  status: string;
  decision: { status: string; by: string; reason: string | null; at: string } | null;
  grant: { id: string; token?: string; expires_at: string; redeemed_at: string | null } | null;
}

/** What an executor does with a grant: redeem it once at the gateway. */
export function redeemGrant(body: { token: string; action: string; params: Record<string, unknown> }): Promise<Response> {
  return fetch(`${e2eState().url}/api/v1/grants/redeem`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

/** A second reviewer acting through the JSON API in their own session (not the browser under test). */
export async function reviewerSession(user: { email: string; password: string }) {
  const url = e2eState().url;
  const cookie = await passwordSignIn(url, user);
  if (!cookie) throw new Error(`sign-in failed for ${user.email}`);
  return {
    decide: (id: string, decision: "approve" | "deny", reason: string) =>
      fetch(`${url}/api/v1/requests/${id}/decisions`, {
        method: "POST",
        headers: { cookie, origin: url, "content-type": "application/json" },
        body: JSON.stringify({ decision, reason }),
      }),
  };
}

/** A request body like the ones agents send, with a summary unique to the spec. */
export function refundRequest(summary: string, overrides: Record<string, unknown> = {}) {
  return {
    action: "payments.refund",
    resource: "customer:cus_123",
    params: { amount: 500, currency: "USD", customer: "cus_123" },
    summary,
    justification: "Ticket #4521: the customer was charged twice on 2026-11-20; the second charge is a duplicate.",
    context: EXAMPLE_CONTEXT,
    ...overrides,
  };
}
