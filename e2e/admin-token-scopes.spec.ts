import { mkdirSync } from "node:fs";
import path from "node:path";
import type { Page } from "@playwright/test";
import { e2eState } from "./support/state.ts";
import { expect, signInWithForm, test, unique } from "./support/fixtures.ts";

// Set SCREENSHOT_DIR to keep screenshots (desktop and phone) for a person to look at.
const SCREENSHOT_DIR = process.env.SCREENSHOT_DIR;

async function screenshot(page: Page, name: string): Promise<void> {
  if (!SCREENSHOT_DIR) return;
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}

const withToken = (token: string, p: string) => fetch(e2eState().url + p, { headers: { authorization: `Bearer ${token}` } });

test("an admin creates an admin API token with narrow scopes in the console; it reaches those areas only and the list shows its scopes", async ({
  page,
  app,
}) => {
  await signInWithForm(page, app.admin, "/admin/access");
  await expect(page.getByRole("heading", { name: "Access", exact: true })).toBeVisible();
  const name = unique("provisioning").replace(" ", "-");
  await page.getByLabel("Name", { exact: true }).fill(name);

  // Everything (admin) is the starting point; choosing it leaves the areas fixed.
  const everything = page.locator('input[data-scope="admin"]');
  await expect(everything).toBeChecked();
  await expect(page.locator('input[data-scope="agents:write"]')).toBeDisabled();
  await everything.uncheck();
  await expect(page.getByRole("button", { name: "Create token" })).toBeDisabled();

  // Write includes read: agents' read box follows its write box.
  await page.locator('input[data-scope="agents:write"]').check();
  await expect(page.locator('input[data-scope="agents:read"]')).toBeChecked();
  await expect(page.locator('input[data-scope="agents:read"]')).toBeDisabled();
  await page.locator('input[data-scope="webhooks:read"]').check();
  await screenshot(page, "access-scopes-desktop-form");
  await page.getByRole("button", { name: "Create token" }).click();

  const token = (await page.getByTestId("secret-value").textContent())!.trim();
  expect(token).toMatch(/^csa_/);
  await expect(page.getByTestId("one-time-secret")).toContainText("agents:write, webhooks:read");
  await page.getByRole("button", { name: "Done" }).click();

  const row = page.getByTestId("admin-token").filter({ hasText: name });
  await expect(row.getByTestId("token-scopes")).toHaveText("agents:writewebhooks:read");

  expect((await withToken(token, "/api/v1/admin/agents")).status).toBe(200);
  expect((await withToken(token, "/api/v1/admin/webhooks")).status).toBe(200);
  const refused = await withToken(token, "/api/v1/admin/users");
  expect(refused.status).toBe(403);
  expect((await refused.json()).code).toBe("insufficient_scope");

  await screenshot(page, "access-scopes-desktop");
  await page.setViewportSize({ width: 390, height: 844 });
  await screenshot(page, "access-scopes-phone");
});
