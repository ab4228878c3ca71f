import { agentApi, expect, refundRequest, reviewerSession, signInWithForm, test, unique } from "./support/fixtures.ts";

test("another reviewer's decision updates the open request page and the queue without a reload", async ({ page, app }) => {
  const summary = unique("Refund $120 for a late delivery");
  const created = await agentApi(app.agents.billing.key).createRequest(refundRequest(summary));

  await signInWithForm(page, app.reviewer, `/requests/${created.id}`);
  await expect(page.getByTestId("request-detail")).toHaveAttribute("data-status", "pending");
  await expect(page.getByTestId("live-indicator")).toHaveAttribute("data-state", "live");

  const colleague = await reviewerSession(app.secondReviewer);
  const res = await colleague.decide(created.id, "deny", "Delivery was on time per the carrier");
  expect(res.status).toBe(200);

  await expect(page.getByTestId("request-detail")).toHaveAttribute("data-status", "denied");
  await expect(page.getByTestId("votes")).toContainText(app.secondReviewer.email);
  await expect(page.getByTestId("decision-reason")).toHaveText("Delivery was on time per the carrier");
  await expect(page.getByRole("button", { name: "Approve" })).toHaveCount(0);

  // Deciding again through the API is a conflict, with a detail a person can read.
  const again = await colleague.decide(created.id, "approve", "changed my mind");
  expect(again.status).toBe(409);

  // Open the queue, then a new request decided elsewhere leaves it live.
  await page.getByRole("link", { name: "Queue" }).first().click();
  await expect(page.getByTestId("queue-count")).toBeVisible();
  const second = unique("Refund $40 shipping fee");
  const next = await agentApi(app.agents.billing.key).createRequest(refundRequest(second));
  const row = page.getByTestId("request-row").filter({ hasText: second });
  await expect(row).toBeVisible();
  expect((await colleague.decide(next.id, "approve", "Policy allows shipping refunds")).status).toBe(200);
  await expect(row).toHaveCount(0);
});
