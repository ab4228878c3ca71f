import { mkdirSync } from "node:fs";
import path from "node:path";
import type { Page } from "@playwright/test";
import { passwordSignIn } from "../test/support/password-sign-in.ts";
import { agentApi, expect, refundRequest, signInWithForm, test, unique } from "./support/fixtures.ts";

// Set SCREENSHOT_DIR to keep screenshots (desktop and phone) for a person to look at.
const SCREENSHOT_DIR = process.env.SCREENSHOT_DIR;

async function screenshot(page: Page, name: string): Promise<void> {
  if (!SCREENSHOT_DIR) return;
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}

const PHONE = { width: 390, height: 844 };

test("a condition that errors is shown per request before it is saved, and on the request page after", async ({ page, browser, app }) => {
  // This spec's own agent, so its rule touches nothing else.
  const cookie = await passwordSignIn(app.url, app.admin);
  const agentName = unique("refunds").replace(" ", "-");
  const res = await fetch(`${app.url}/api/v1/admin/agents`, {
    method: "POST",
    headers: { cookie: cookie!, origin: app.url, "content-type": "application/json" },
    body: JSON.stringify({ name: agentName, tags: ["finance"] }),
  });
  expect(res.status).toBe(201);
  const agent = agentApi((await res.json()).key);
  // A recent request the draft will be replayed on.
  const recent = await agent.createRequest(refundRequest(unique("Refund $40"), { params: { amount: 40, currency: "USD" } }));

  await signInWithForm(page, app.admin, "/admin/policies/new");
  const ruleName = unique("big-refunds").replace(" ", "-");
  await page.getByLabel("Name", { exact: true }).fill(ruleName);
  await page.getByLabel("Actions").fill("payments.refund");
  await page.getByLabel("Agent names").fill(agentName);
  // Compares a number with a string: it type-checks (params are dynamic) and errors on every request.
  await page.getByLabel("Condition").fill('params.amount > "1000"');
  await page.getByLabel("Approvals required").fill("2");
  await page.getByLabel("Place").selectOption("first");
  await page
    .getByLabel("Sample request (JSON)")
    .fill(JSON.stringify({ action: "payments.refund", params: { amount: 50, currency: "USD" }, agent: { name: agentName, tags: ["finance"] } }));

  // Saving first runs the draft over the sample and the recent requests: nothing is saved yet.
  await page.getByRole("button", { name: "Save rule" }).click();
  const dialog = page.getByRole("dialog", { name: "Save a rule that errors?" });
  await expect(dialog).toBeVisible();
  await expect(dialog.getByTestId("save-condition-errors")).toContainText(/sample: condition errored: .+ \(treated as a match\)/);
  await expect(dialog.getByTestId("save-condition-errors")).toContainText(recent.id);
  await expect(page).toHaveURL(/\/admin\/policies\/new$/);

  // Behind it, the simulation shows each request's error, and says this rule would catch them all.
  const sampleRow = page.locator('[data-testid="simulation-row"][data-source="sample"]');
  await expect(sampleRow.getByTestId("simulation-row-error")).toContainText(/^condition errored: .+ \(treated as a match\)$/);
  await expect(page.locator(`[data-testid="simulation-row"][data-source="${recent.id}"]`).getByTestId("simulation-row-error")).toBeVisible();
  await expect(page.getByTestId("simulation-condition-errors")).toContainText("The condition errors on");
  // Routed to the draft's 2 approvals instead of the default's 1: a change in handling, named.
  await expect(sampleRow.getByTestId("simulation-changes")).toContainText("approvals 1 → 2");
  await expect(page.getByTestId("simulation-summary")).toContainText(/handling changes for [1-9]/);
  await screenshot(page, "condition-errors-editor-dialog-desktop");
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await expect(dialog).toBeHidden();
  // At the field too, for as long as the condition stays as it is.
  await expect(page.getByTestId("condition-run-error")).toContainText(
    /^Errors on [1-9]\d* of \d+ requests tried .*condition errored: .+ \(treated as a match\)/,
  );
  await screenshot(page, "condition-errors-editor-desktop");
  await page.setViewportSize(PHONE);
  await page.getByTestId("simulation-condition-errors").scrollIntoViewIfNeeded();
  await screenshot(page, "condition-errors-editor-phone");
  await page.setViewportSize({ width: 1280, height: 800 });

  // Saved anyway: a $50 refund then needs two approvals, and the reviewer is told why.
  await page.getByRole("button", { name: "Save rule" }).click();
  await page.getByRole("dialog", { name: "Save a rule that errors?" }).getByRole("button", { name: "Save anyway" }).click();
  await expect(page).toHaveURL(/\/admin\/policies$/);
  const small = (await agent.createRequest(refundRequest(unique("Refund $50"), { params: { amount: 50, currency: "USD" } }))) as unknown as {
    id: string;
    status: string;
    policy: { name: string; approvals_required: number };
  };
  expect(small).toMatchObject({ status: "pending", policy: { name: ruleName, approvals_required: 2 } });

  const reviewer = await browser.newPage();
  await signInWithForm(reviewer, app.reviewer, `/requests/${small.id}`);
  const notice = reviewer.getByTestId("condition-errors");
  await expect(notice).toBeVisible();
  await expect(notice.getByTestId("condition-error")).toHaveText(new RegExp(`^Rule ${ruleName} v1: condition errored: .+ \\(treated as a match\\)$`));
  await screenshot(reviewer, "condition-errors-request-desktop");
  await reviewer.setViewportSize(PHONE);
  await expect(notice).toBeVisible();
  await screenshot(reviewer, "condition-errors-request-phone");
  await reviewer.close();
});
