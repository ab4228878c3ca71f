import path from "node:path";
import type { Page } from "@playwright/test";
import { passwordSignIn } from "../test/support/password-sign-in.ts";
import { agentApi, expect, redeemGrant, refundRequest, signInWithForm, test, unique } from "./support/fixtures.ts";

// Set SCREENSHOT_DIR to keep screenshots (desktop and phone) for a person to look at.
const SCREENSHOT_DIR = process.env.SCREENSHOT_DIR;
async function screenshot(page: Page, name: string): Promise<void> {
  if (!SCREENSHOT_DIR) return;
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}

test("a reviewer amends an allowed field, sees the diff, approves with a reason; the grant binds the amended params", async ({ page, app }) => {
  // A rule for this spec's own action: refunds up to 1000, amount and note editable.
  const action = `payments.amend_${unique("x").split(" ")[1]}`;
  const cookie = await passwordSignIn(app.url, app.admin);
  const created = await fetch(`${app.url}/api/v1/admin/policies/rules`, {
    method: "POST",
    headers: { cookie: cookie!, origin: app.url, "content-type": "application/json" },
    body: JSON.stringify({
      name: unique("amendable").replace(" ", "-"),
      actions: [action],
      condition: "params.amount <= 1000",
      effect: "require_approval",
      reviewers_may_edit: ["amount", "note"],
    }),
  });
  expect(created.status).toBe(201);

  const agent = agentApi(app.agents.billing.key);
  const summary = unique("Refund $500 for a duplicate charge");
  const request = await agent.createRequest({ ...refundRequest(summary), action });

  await signInWithForm(page, app.reviewer, `/requests/${request.id}`);
  await expect(page.getByTestId("request-summary")).toHaveText(summary);

  // Edit: exactly the listed fields become editable, each by its kind.
  await page.getByTestId("amend-toggle").click();
  const fields = page.getByTestId("amend-field");
  await expect(fields).toHaveCount(2);
  const amount = page.locator('[data-testid="amend-field"][data-name="amount"]');
  await expect(amount).toHaveAttribute("type", "number");
  await expect(amount).toHaveValue("500");
  await expect(page.locator('textarea[data-name="note"]')).toBeVisible();

  // An amount another rule would handle: the server's refusal is shown, nothing is decided.
  await amount.fill("5000");
  await expect(page.getByTestId("amend-change")).toHaveText("amount: 500→5000");
  await page.getByLabel("Reason").fill("The customer asked for more");
  await page.getByRole("button", { name: "Approve amended" }).click();
  await expect(page.getByTestId("decision-error")).toContainText("would be handled by");
  await expect(page.getByTestId("request-detail")).toHaveAttribute("data-status", "pending");

  // The real correction: the diff shows old → new, and a reason is required.
  await amount.fill("450");
  // That refusal was about the previous amount: it goes once the amendment changes.
  await expect(page.getByTestId("decision-error")).toHaveCount(0);
  await page.locator('textarea[data-name="note"]').fill('"partial refund"');
  const diff = page.getByTestId("decision-amendment");
  await expect(diff.getByTestId("amend-change")).toHaveText(["amount: 500→450", 'note: (absent)→"partial refund"']);
  await page.getByLabel("Reason").fill("");
  await page.getByRole("button", { name: "Approve amended" }).click();
  await expect(page.getByTestId("decision-error")).toHaveText("A reason is required to amend the params.");
  await page.getByLabel("Reason").fill("Only 450 was charged twice");
  await screenshot(page, "amend-desktop-editing");
  await page.setViewportSize({ width: 390, height: 844 });
  await screenshot(page, "amend-phone-editing");
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.getByRole("button", { name: "Approve amended" }).click();

  // The request shows it was amended, by whom, and from what.
  await expect(page.getByTestId("request-detail")).toHaveAttribute("data-status", "approved");
  const notice = page.getByTestId("amended-notice");
  await expect(notice).toContainText(`Amended by ${app.reviewer.email}`);
  await expect(notice.getByTestId("amend-change")).toHaveText(["amount: 500→450", 'note: (absent)→"partial refund"']);
  await expect(page.getByTestId("params")).toContainText('"amount": 450');
  await expect(page.getByTestId("params-editor")).toHaveCount(0);
  await expect(page.getByTestId("amend-toggle")).toHaveCount(0);
  await screenshot(page, "amend-desktop-approved");
  await page.setViewportSize({ width: 390, height: 844 });
  await screenshot(page, "amend-phone-approved");

  const seen = (await agent.getRequest(request.id)) as unknown as {
    params: Record<string, unknown>;
    original_params: Record<string, unknown>;
    grant: { token: string };
  };
  expect(seen.params).toEqual({ amount: 450, currency: "USD", customer: "cus_123", note: "partial refund" });
  expect(seen.original_params).toEqual({ amount: 500, currency: "USD", customer: "cus_123" });
  expect((await redeemGrant({ token: seen.grant.token, action, params: seen.original_params })).status).toBe(422);
  expect((await redeemGrant({ token: seen.grant.token, action, params: seen.params })).status).toBe(200);
});
