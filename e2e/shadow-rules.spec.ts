import { mkdirSync } from "node:fs";
import path from "node:path";
import type { Page } from "@playwright/test";
import { passwordSignIn } from "../test/support/password-sign-in.ts";
import { agentApi, expect, refundRequest, reviewerSession, signInWithForm, test, unique } from "./support/fixtures.ts";

// Approve and remember, narrowly: from a decided request an admin proposes a
// rule (bounded by the params seen), sees its simulation, saves it in shadow
// mode, watches it match live traffic without effect, then promotes it.

const SCREENSHOT_DIR = process.env.SCREENSHOT_DIR;
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 800 };

async function screenshot(page: Page, name: string): Promise<void> {
  if (!SCREENSHOT_DIR) return;
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}

test("propose a rule from a decided request, simulate it, create it in shadow mode, see its hits, promote it", async ({ page, app }) => {
  const cookie = await passwordSignIn(app.url, app.admin);
  const agentName = unique("refunder").replace(" ", "-");
  const res = await fetch(`${app.url}/api/v1/admin/agents`, {
    method: "POST",
    headers: { cookie: cookie!, origin: app.url, "content-type": "application/json" },
    body: JSON.stringify({ name: agentName }),
  });
  expect(res.status).toBe(201);
  const agent = agentApi((await res.json()).key);
  const params = { amount: 400, currency: "USD" };
  const decided = await agent.createRequest(refundRequest(unique("Refund $400"), { params }));
  expect(decided.status).toBe("pending");
  expect((await (await reviewerSession(app.reviewer)).decide(decided.id, "approve", "duplicate charge")).status).toBe(200);

  // The request page offers the proposal to an admin.
  await signInWithForm(page, app.admin, `/requests/${decided.id}`);
  await page.getByTestId("propose-rule").click();
  await expect(page).toHaveURL(new RegExp(`/admin/policies/new\\?from=${decided.id}$`));
  const proposal = page.getByTestId("proposal");
  await expect(proposal).toContainText(`Proposed from ${decided.id}`);
  await expect(proposal).toContainText("params.amount >= 0 && params.amount <= 400");
  await expect(page.getByLabel("Agent names")).toHaveValue(agentName);
  await expect(page.getByLabel("Actions")).toHaveValue("payments.refund");
  await expect(page.getByLabel("Condition")).toHaveValue(/params\.amount <= 400/);
  await expect(page.getByLabel("Shadow (record matches, change nothing)")).toBeChecked();
  // Its simulation over recent requests: the approved request is one the rule would allow.
  const row = page.locator(`[data-testid="simulation-row"][data-source="${decided.id}"]`);
  await expect(row).toHaveAttribute("data-draft-matches", "true");
  await screenshot(page, "shadow-propose-desktop");
  await page.setViewportSize(PHONE);
  await screenshot(page, "shadow-propose-phone");
  await page.setViewportSize(DESKTOP);
  const ruleName = await page.getByLabel("Name", { exact: true }).inputValue();

  await page.getByRole("button", { name: "Save rule" }).click();
  await expect(page).toHaveURL(/\/admin\/policies$/);
  const ruleRow = page.locator(`[data-testid="rule-row"][data-rule-name="${ruleName}"]`);
  await expect(ruleRow).toHaveAttribute("data-mode", "shadow");
  await expect(ruleRow.getByTestId("shadow-hits")).toHaveAttribute("data-count", "0");

  // Live traffic: the shadow allow matches, yet the request still waits for a reviewer.
  const within = await agent.createRequest(refundRequest(unique("Refund $300"), { params: { amount: 300, currency: "USD" } }));
  expect(within.status).toBe("pending");
  await page.goto(`/requests/${within.id}`);
  await expect(page.getByTestId("shadow-match")).toHaveText(`Shadow rule ${ruleName} v1 would have allowed it. It changed nothing.`);
  await screenshot(page, "shadow-request-desktop");
  await page.setViewportSize(PHONE);
  await page.getByTestId("shadow-matches").scrollIntoViewIfNeeded();
  await screenshot(page, "shadow-request-phone");
  await page.setViewportSize(DESKTOP);

  await page.goto("/admin/policies");
  await expect(ruleRow.getByTestId("shadow-hits")).toHaveAttribute("data-count", "1");
  await expect(ruleRow.getByTestId("shadow-hits")).toContainText("1 hit · last");
  await screenshot(page, "shadow-policies-desktop");
  await page.setViewportSize(PHONE);
  await ruleRow.scrollIntoViewIfNeeded();
  await screenshot(page, "shadow-policies-phone");
  await page.setViewportSize(DESKTOP);

  // Promote, in one confirmed step.
  await ruleRow.getByRole("button", { name: "Promote to enforce" }).click();
  const dialog = page.getByRole("dialog", { name: `Enforce ${ruleName}?` });
  await expect(dialog).toContainText("matched 1 so far");
  await dialog.getByRole("button", { name: "Promote to enforce" }).click();
  await expect(dialog).toBeHidden();
  await expect(ruleRow).toHaveAttribute("data-mode", "enforce");
  await expect(ruleRow.getByTestId("shadow-hits")).toHaveCount(0);

  // Enforced: a refund within the bounds is allowed at once; one beyond them still waits.
  const allowed = await agent.createRequest(refundRequest(unique("Refund $200"), { params: { amount: 200, currency: "USD" } }));
  expect(allowed).toMatchObject({ status: "approved", policy: { name: ruleName, version: 2 } });
  const beyond = await agent.createRequest(refundRequest(unique("Refund $900"), { params: { amount: 900, currency: "USD" } }));
  expect(beyond.status).toBe("pending");
});
