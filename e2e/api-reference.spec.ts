import { mkdirSync } from "node:fs";
import path from "node:path";
import type { Page } from "@playwright/test";
import { expect, signInWithForm, test } from "./support/fixtures.ts";

// Set SCREENSHOT_DIR to keep screenshots of the page (desktop and phone) for a person to look at.
const SCREENSHOT_DIR = process.env.SCREENSHOT_DIR;

async function screenshot(page: Page, name: string): Promise<void> {
  if (!SCREENSHOT_DIR) return;
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  // Scalar renders a section lazily after jumping to it: wait for the network to settle and two frames to paint.
  await page.waitForLoadState("networkidle");
  await page.evaluate(() => new Promise<void>((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve()))));
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`) });
}

/**
 * Records what would show that the page reached past this origin or broke
 * its CSP: console errors (browsers report CSP violations there), uncaught
 * exceptions, Scalar's warnings about the document, and any request to a
 * host other than the app's.
 */
function watch(page: Page, appUrl: string) {
  const appHost = new URL(appUrl).host;
  const errors: string[] = [];
  const offsite: string[] = [];
  page.on("console", (msg) => {
    if (msg.type() === "error") errors.push(msg.text());
    // Scalar checks the document with its own validator and warns about what it cannot read.
    if (msg.type() === "warning" && /validation/i.test(msg.text())) errors.push(msg.text());
  });
  page.on("pageerror", (err) => errors.push(err.message));
  page.on("request", (req) => {
    const url = new URL(req.url());
    if (!["data:", "blob:"].includes(url.protocol) && url.host !== appHost) offsite.push(req.url());
  });
  return { errors, offsite };
}

async function openReference(page: Page) {
  await page.goto("/docs/api");
  await expect(page.getByRole("heading", { name: "Countersign API", level: 1 })).toBeVisible();
}

test("the API reference renders from our own origin, within its CSP, with the agent and admin endpoints", async ({ page, app }) => {
  const seen = watch(page, app.url);
  const response = await page.goto("/docs/api");
  expect(response?.status()).toBe(200);
  // The same strict policy as every other page (its own nonce): Scalar needs no allowance.
  const csp = response!.headers()["content-security-policy"];
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).not.toMatch(/https?:/);
  const withoutNonce = (policy: string) => policy.replace(/'nonce-[^']+'/, "'nonce'");
  expect(withoutNonce(csp)).toBe(withoutNonce((await page.request.get("/signin")).headers()["content-security-policy"]));
  expect(response!.headers()["x-frame-options"]).toBe("DENY");

  await expect(page.getByRole("heading", { name: "Countersign API", level: 1 })).toBeVisible();
  const sidebar = page.locator(".t-doc__sidebar");
  await expect(sidebar.getByText("Administration", { exact: true })).toBeVisible();
  await screenshot(page, "desktop-top");

  // An agent's operation: its description, body and examples render.
  await sidebar.getByText("Agent", { exact: true }).click();
  await sidebar.getByText("Ask for approval", { exact: true }).click();
  const operation = page.getByRole("region", { name: "Ask for approval" });
  await expect(operation.getByRole("heading", { name: "Ask for approval", level: 3 })).toBeInViewport();
  await expect(page).toHaveURL(/#tag\/agent\/POST\/api\/v1\/requests$/);
  await expect(operation.getByText("Idempotency-Key").first()).toBeVisible();
  await screenshot(page, "desktop-operation");

  // The admin section.
  await sidebar.getByText("Agents and keys", { exact: true }).click();
  await sidebar.getByText("Register an agent", { exact: true }).click();
  await expect(page.getByRole("region", { name: "Register an agent" }).getByRole("heading", { name: "Register an agent", level: 3 })).toBeInViewport();
  await screenshot(page, "desktop-admin");

  expect(seen.errors, "console errors (CSP violations show up here)").toEqual([]);
  expect(seen.offsite, "requests to other hosts").toEqual([]);
});

test("the API reference works on a phone, and in dark mode", async ({ page, app }) => {
  const seen = watch(page, app.url);
  await page.setViewportSize({ width: 390, height: 844 });
  await openReference(page);
  await screenshot(page, "phone-top");
  await page.getByRole("button", { name: /open menu/i }).click();
  const menu = page.locator(".t-doc__sidebar");
  await menu.getByText("Agent", { exact: true }).click();
  await menu.getByText("Ask for approval", { exact: true }).click();
  await expect(page.getByRole("region", { name: "Ask for approval" }).getByRole("heading", { name: "Ask for approval", level: 3 })).toBeInViewport();
  await screenshot(page, "phone-operation");

  await page.setViewportSize({ width: 1280, height: 800 });
  await page
    .getByRole("button", { name: /dark mode/i })
    .first()
    .click();
  await expect(page.locator("body")).toHaveClass(/dark-mode/);
  await screenshot(page, "desktop-dark");

  expect(seen.errors).toEqual([]);
  expect(seen.offsite).toEqual([]);
});

test("the bundle is served from the app with long-lived caching", async ({ page, request }) => {
  await page.goto("/docs/api");
  const src = await page.locator('script[src^="/docs/api/scalar.js"]').getAttribute("src");
  expect(src).toMatch(/^\/docs\/api\/scalar\.js\?v=\d+\.\d+\.\d+/);
  const res = await request.get(src!);
  expect(res.status()).toBe(200);
  expect(res.headers()["content-type"]).toMatch(/^text\/javascript/);
  expect(res.headers()["cache-control"]).toContain("immutable");
  expect((await res.body()).byteLength).toBeGreaterThan(1_000_000);
  const again = await request.get(src!, { headers: { "if-none-match": res.headers().etag } });
  expect(again.status()).toBe(304);
});

test("the dashboard and the sign-in page link to the API reference", async ({ page, app }) => {
  await page.goto("/signin");
  await expect(page.getByRole("link", { name: "API reference" })).toHaveAttribute("href", "/docs/api");

  await signInWithForm(page, app.reviewer);
  await screenshot(page, "dashboard-nav");
  await page.setViewportSize({ width: 390, height: 844 });
  await screenshot(page, "dashboard-nav-phone");
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "API reference" }).click();
  await expect(page).toHaveURL(/\/docs\/api$/);
  await expect(page.getByRole("heading", { name: "Countersign API", level: 1 })).toBeVisible();
});
