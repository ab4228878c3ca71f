import { agentApi, expect, redeemGrant, refundRequest, signInWithForm, test, unique, waitForLiveQueue } from "./support/fixtures.ts";

test("a request appears live, is approved in the browser, and its grant redeems exactly once", async ({ page, app }) => {
  const agent = agentApi(app.agents.billing.key);
  await signInWithForm(page, app.reviewer);
  await waitForLiveQueue(page);

  // Created only now, with the queue already open: it can only appear through the live stream.
  const summary = unique("Refund $500 to customer cus_123 for a duplicate charge");
  const body = refundRequest(summary);
  const created = await agent.createRequest(body);
  expect(created.status).toBe("pending");

  const row = page.getByTestId("request-row").filter({ hasText: summary });
  await expect(row).toBeVisible();
  await expect(row).toContainText("billing-agent");
  await expect(row).toContainText("payments.refund");
  await expect(row).toContainText("customer:cus_123");
  await expect(row).toContainText("alice@example.com");
  await expect(row).toContainText("0 of 1");
  await expect(row).toContainText(/\d+m \d{2}s/);

  // The agent starts its long wait before anyone decides.
  const waiting = agent.getRequest(created.id, 30);

  await row.click();
  await expect(page).toHaveURL(new RegExp(`/requests/${created.id}$`));
  await expect(page.getByTestId("request-summary")).toHaveText(summary);
  await expect(page.getByTestId("agent-name")).toHaveText("billing-agent");
  await expect(page.getByTestId("params")).toContainText('"amount": 500');
  await expect(page.getByText("82%")).toBeVisible();

  await page.getByLabel("Reason").fill("Duplicate charge confirmed in Stripe");
  await page.getByRole("button", { name: "Approve" }).click();

  const answered = await waiting;
  expect(answered.status).toBe("approved");
  expect(answered.grant?.token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);

  await expect(page.getByTestId("request-detail")).toHaveAttribute("data-status", "approved");
  await expect(page.getByTestId("decision-reason")).toHaveText("Duplicate charge confirmed in Stripe");
  await expect(page.getByTestId("grant-status")).toHaveText("Issued");

  const first = await redeemGrant({ token: answered.grant!.token!, action: body.action, params: body.params });
  expect(first.status).toBe(200);
  const second = await redeemGrant({ token: answered.grant!.token!, action: body.action, params: body.params });
  expect(second.status).toBe(409);
  expect(((await second.json()) as { code: string }).code).toBe("grant_already_redeemed");

  // Redemption is not a stream event (only request state changes are), so look again.
  await page.reload();
  await expect(page.getByTestId("grant-status")).toHaveText("Redeemed");

  // The request has left the queue.
  await page.getByRole("link", { name: "Queue" }).first().click();
  await expect(page.getByTestId("queue-count")).toBeVisible();
  await expect(page.getByTestId("request-row").filter({ hasText: summary })).toHaveCount(0);

  // And it is listed in the history under "Approved".
  await page.getByRole("link", { name: "History" }).click();
  await page.getByLabel("Status").selectOption("approved");
  await expect(page).toHaveURL(/status=approved/);
  await expect(page.getByTestId("request-row").filter({ hasText: summary })).toContainText("Approved");
});
