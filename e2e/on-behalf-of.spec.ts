import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import path from "node:path";
import type { Page } from "@playwright/test";
import { startTestIssuer, type TestIssuer } from "../test/support/oidc-provider.ts";
import { startTestApp, type TestApp } from "../test/support/test-server.ts";
import { expect, refundRequest, signInWithForm, test, waitForLiveQueue } from "./support/fixtures.ts";

// Set SCREENSHOT_DIR to keep screenshots (desktop and phone) for a person to look at.
const SCREENSHOT_DIR = process.env.SCREENSHOT_DIR;

async function screenshot(page: Page, name: string): Promise<void> {
  if (!SCREENSHOT_DIR) return;
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
  // And the screen a reviewer sees with on-behalf-of in view.
  await page.getByTestId("on-behalf-of-check").scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}-context.png`) });
}

// An app of its own that trusts a real OpenID provider's ID tokens for on-behalf-of
// (the shared e2e app has no issuer configured), on the same database.
let issuer: TestIssuer;
let app: TestApp;

test.beforeAll(async () => {
  test.setTimeout(180_000);
  issuer = await startTestIssuer({ clientId: "agent-app", clientSecret: randomBytes(24).toString("base64url"), accounts: [] });
  issuer.registerClient(["http://127.0.0.1/unused"]);
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) throw new Error("DATABASE_URL is not set (the e2e global setup sets it)");
  app = await startTestApp(databaseUrl, { COUNTERSIGN_OBO_ISSUER: issuer.issuer, COUNTERSIGN_OBO_AUDIENCE: issuer.clientId });
});

test.afterAll(async () => {
  await Promise.allSettled([app?.stop(), issuer?.stop()]);
});

async function create(key: string, body: Record<string, unknown>): Promise<{ id: string }> {
  const res = await fetch(`${app.url}/api/v1/requests`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (res.status !== 201) throw new Error(`creating the request failed: ${res.status} ${await res.text()}`);
  return (await res.json()) as { id: string };
}

test("reviewers see whether the person an agent acts for was verified", async ({ page, app: seeded }) => {
  const key = seeded.agents.billing.key;
  const token = await issuer.mintIdToken({ sub: "user-alice", email: "alice@example.com", email_verified: true });
  const verified = await create(
    key,
    refundRequest("Refund $500 to customer cus_123", { context: { on_behalf_of: "alice@example.com", on_behalf_of_token: token } }),
  );
  const stated = await create(key, refundRequest("Refund $500 to customer cus_123 (stated)", { context: { on_behalf_of: "alice@example.com" } }));
  const mallory = await issuer.mintIdToken({ sub: "user-mallory", email: "mallory@example.com" });
  const mismatch = await create(
    key,
    refundRequest("Refund $500 to customer cus_123 (someone else's token)", { context: { on_behalf_of: "alice@example.com", on_behalf_of_token: mallory } }),
  );

  await signInWithForm(page, seeded.reviewer, `${app.url}/requests/${verified.id}`);
  const check = page.getByTestId("on-behalf-of-check");
  await expect(check).toHaveAttribute("data-verified", "true");
  await expect(check).toHaveText("verified: alice@example.com");
  await expect(page.getByTestId("on-behalf-of")).toHaveText("alice@example.com");
  await expect(page.locator("body")).not.toContainText(token.split(".")[2]);
  await screenshot(page, "obo-verified-desktop");
  await page.setViewportSize({ width: 390, height: 844 });
  await expect(check).toBeVisible();
  await screenshot(page, "obo-verified-phone");

  await page.goto(`${app.url}/requests/${stated.id}`);
  await expect(check).toHaveAttribute("data-verified", "false");
  await expect(check).toHaveText("unverified");
  await expect(page.getByTestId("on-behalf-of-reason")).toHaveText("the agent sent no ID token for this person");
  await screenshot(page, "obo-stated-phone");

  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto(`${app.url}/requests/${mismatch.id}`);
  await expect(check).toHaveAttribute("data-verified", "false");
  await expect(page.getByTestId("on-behalf-of-reason")).toHaveText("the ID token is for mallory@example.com, not the person the agent names");
  await screenshot(page, "obo-mismatch-desktop");

  // The queue marks the verified person too.
  await page.goto(`${app.url}/`);
  await waitForLiveQueue(page);
  const row = (id: string) => page.locator(`[data-testid="request-row"][data-request-id="${id}"]`);
  await expect(row(verified.id).getByTestId("row-on-behalf-of-verified")).toBeVisible();
  await expect(row(stated.id)).toBeVisible();
  await expect(row(stated.id).getByTestId("row-on-behalf-of-verified")).toHaveCount(0);
  await expect(row(mismatch.id).getByTestId("row-on-behalf-of-verified")).toHaveCount(0);
  if (SCREENSHOT_DIR) await page.screenshot({ path: path.join(SCREENSHOT_DIR, "obo-queue-desktop.png") });
  await page.setViewportSize({ width: 390, height: 844 });
  await expect(row(verified.id).getByTestId("row-on-behalf-of-verified")).toBeVisible();
  if (SCREENSHOT_DIR) await page.screenshot({ path: path.join(SCREENSHOT_DIR, "obo-queue-phone.png") });
});
