import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import path from "node:path";
import type { Page } from "@playwright/test";
import { agentApi, expect, refundRequest, reviewerSession, signInWithForm, test, unique, waitForLiveQueue } from "./support/fixtures.ts";

// Set SCREENSHOT_DIR to keep screenshots (desktop and phone) for a person to look at.
const SCREENSHOT_DIR = process.env.SCREENSHOT_DIR;

async function screenshot(page: Page, name: string): Promise<void> {
  if (!SCREENSHOT_DIR) return;
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}

test("a reviewer sees what is unusual about a request, explained, in the queue and on the request page", async ({ page, app }) => {
  const agent = agentApi(app.agents.billing.key);
  // An action of its own, so "first time" and the amounts compare with this spec's history only.
  const action = `risk-${randomBytes(3).toString("hex")}.refund`;
  const second = await reviewerSession(app.secondReviewer);
  const usual = await agent.createRequest(refundRequest(unique("Refund $200"), { action, params: { amount: 200, currency: "USD" } }));
  expect((await second.decide(usual.id, "approve", "Routine refund")).status).toBe(200);

  await signInWithForm(page, app.reviewer);
  await waitForLiveQueue(page);

  const bigSummary = unique("Refund $9,000 to customer cus_123");
  const lowSummary = unique("Refund $150, not sure it is a duplicate");
  await agent.createRequest(refundRequest(bigSummary, { action, params: { amount: 9000, currency: "USD" } }));
  // Agent-supplied text in an explanation stays text.
  await agent.createRequest(
    refundRequest(lowSummary, {
      action,
      params: { amount: 150, currency: "USD" },
      context: { on_behalf_of: "<img src=x onerror=alert(1)>@example.com", confidence: 0.3 },
    }),
  );

  const big = page.getByTestId("request-row").filter({ hasText: bigSummary });
  await expect(big.getByTestId("risk-score")).toHaveText("Risk 45");
  await expect(big.getByTestId("risk-explanation")).toHaveText("amount 9,000 is 45× the largest approved (200)");
  const low = page.getByTestId("request-row").filter({ hasText: lowSummary });
  await expect(low.getByTestId("risk-explanation")).toHaveText(
    "First time billing-agent acts on behalf of <img src=x onerror=alert(1)>@example.com: no earlier approved request was for them",
  );
  await expect(low).toContainText("+1 more");

  // Highest risk first, when asked.
  await page.getByTestId("queue-sort").getByRole("link", { name: "Highest risk" }).click();
  await expect(page).toHaveURL(/\?sort=risk$/);
  const rows = page.getByTestId("request-row");
  await expect(rows.first().getByTestId("risk-score")).toBeVisible();
  const bigIndex = await rows.evaluateAll((els, s) => els.findIndex((e) => e.textContent?.includes(s)), bigSummary);
  const lowIndex = await rows.evaluateAll((els, s) => els.findIndex((e) => e.textContent?.includes(s)), lowSummary);
  expect(bigIndex).toBeLessThan(lowIndex);
  await screenshot(page, "queue-desktop");

  await low.click();
  const flags = page.getByTestId("risk-flag");
  await expect(flags).toHaveCount(2);
  await expect(flags.nth(0)).toHaveAttribute("data-code", "new_on_behalf_of");
  await expect(flags.nth(0).getByTestId("risk-severity")).toHaveText("Medium");
  await expect(flags.nth(1)).toHaveAttribute("data-code", "low_confidence");
  await expect(flags.nth(1)).toContainText("The agent states a confidence of 0.3 (below 0.5)");
  await expect(page.locator("img[src=x]")).toHaveCount(0);
  await screenshot(page, "detail-desktop");

  await page.setViewportSize({ width: 390, height: 844 });
  await screenshot(page, "detail-phone");
  await page.goto("/?sort=risk");
  await expect(page.getByTestId("request-row").filter({ hasText: bigSummary }).getByTestId("risk-score")).toHaveText("Risk 45");
  await screenshot(page, "queue-phone");
});
