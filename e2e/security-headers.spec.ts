import type { Page } from "@playwright/test";
import { agentApi, expect, refundRequest, signInWithForm, test, unique, waitForLiveQueue } from "./support/fixtures.ts";

function expectFramingForbidden(headers: Record<string, string>) {
  expect(headers["x-frame-options"]).toBe("DENY");
  expect(headers["content-security-policy"]).toContain("frame-ancestors 'none'");
}

test("the sign-in page and the dashboard cannot be framed", async ({ page, app }) => {
  const signin = await page.goto("/signin");
  expect(signin?.status()).toBe(200);
  expectFramingForbidden(signin!.headers());

  await signInWithForm(page, app.reviewer);
  const queue = await page.reload();
  expect(queue?.status()).toBe(200);
  expectFramingForbidden(queue!.headers());
});

/**
 * Collects every CSP violation on the page: the browser's console report
 * ("Refused to …") and the `securitypolicyviolation` event, which an init
 * script (not subject to the page's CSP) forwards to the console.
 */
async function watchCsp(page: Page): Promise<string[]> {
  const violations: string[] = [];
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) =>
      console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber}`),
    );
  });
  page.on("console", (msg) => {
    if (/Content Security Policy|CSP violation|Refused to/i.test(msg.text())) violations.push(msg.text());
  });
  page.on("pageerror", (err) => violations.push(`uncaught: ${err.message}`));
  return violations;
}

const scriptSrc = (headers: Record<string, string>) => /script-src [^;]*/.exec(headers["content-security-policy"] ?? "")?.[0] ?? "";

test("every page runs under a nonce-only script policy with no CSP violation: sign-in, dashboard, request, admin, audit, API reference", async ({
  page,
  app,
}) => {
  const violations = await watchCsp(page);
  const nonces = new Set<string>();
  const visit = async (path: string) => {
    const res = await page.goto(path);
    expect(res?.status(), path).toBe(200);
    const scripts = scriptSrc(res!.headers());
    expect(scripts, path).toMatch(/^script-src 'self' 'nonce-[^']+' 'strict-dynamic'$/);
    nonces.add(scripts);
  };

  await visit("/signin");
  await expect(page.getByRole("button", { name: "Sign in", exact: true })).toBeVisible();

  // Signing in through the form needs the page's scripts (a server action).
  await signInWithForm(page, app.admin);
  await visit("/");
  // Live means React hydrated and the event stream is open: scripts ran.
  await waitForLiveQueue(page);

  const summary = unique("Refund under a strict CSP");
  const created = await agentApi(app.agents.billing.key).createRequest(refundRequest(summary));
  await visit(`/requests/${created.id}`);
  await expect(page.getByTestId("request-summary")).toHaveText(summary);
  await expect(page.getByTestId("params")).toContainText('"amount": 500');

  await visit("/admin/agents");
  await expect(page.getByRole("heading", { name: "Agents", exact: true })).toBeVisible();
  await page.getByRole("button", { name: "New agent" }).click();
  await expect(page.getByLabel("Name", { exact: true })).toBeVisible();

  await visit(`/audit?request=${created.id}`);
  await expect(page.getByTestId("audit-event")).toHaveCount(1);

  await visit("/docs/api");
  await expect(page.getByRole("heading", { name: "Countersign API", level: 1 })).toBeVisible();
  await expect(page.locator(".t-doc__sidebar").getByText("Administration", { exact: true })).toBeVisible();

  // The one expected report: zod (inside Scalar's bundle) probes `try { new Function("") }` to pick its
  // parser; the policy refuses eval by design and zod falls back. Any other violation fails.
  const expected = /^CSP violation: script-src blocked eval at http:\/\/[^/]+\/docs\/api\/scalar\.js:\d+$/;
  expect(
    violations.filter((v) => !expected.test(v)),
    "CSP violations",
  ).toEqual([]);
  // A fresh nonce for every page load.
  expect(nonces.size).toBe(6);
});
