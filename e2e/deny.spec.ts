import { agentApi, expect, refundRequest, signInWithForm, test, unique } from "./support/fixtures.ts";

test("a deny needs a reason, and the agent receives the reviewer's reason", async ({ page, app }) => {
  const agent = agentApi(app.agents.billing.key);
  const summary = unique("Refund $9,800 to a customer with no order history");
  const created = await agent.createRequest(refundRequest(summary, { params: { amount: 9800, currency: "USD" } }));

  await signInWithForm(page, app.reviewer, `/requests/${created.id}`);
  await expect(page).toHaveURL(new RegExp(`/requests/${created.id}$`));
  await expect(page.getByTestId("request-summary")).toHaveText(summary);

  // Without a reason the UI refuses, and nothing reaches the server.
  await page.getByRole("button", { name: "Deny" }).click();
  await expect(page.getByTestId("decision-error")).toHaveText("A reason is required to deny a request.");
  expect((await agent.getRequest(created.id)).status).toBe("pending");
  await expect(page.getByTestId("request-detail")).toHaveAttribute("data-status", "pending");

  const reason = "No order matches this customer; looks like refund fraud";
  await page.getByLabel("Reason").fill(reason);
  await page.getByRole("button", { name: "Deny" }).click();
  await expect(page.getByTestId("request-detail")).toHaveAttribute("data-status", "denied");
  await expect(page.getByTestId("decision-reason")).toHaveText(reason);

  const seen = await agent.getRequest(created.id);
  expect(seen.status).toBe("denied");
  expect(seen.decision?.reason).toBe(reason);
  expect(seen.grant).toBeNull();
});
