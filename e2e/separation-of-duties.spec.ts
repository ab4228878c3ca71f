import { agentApi, expect, refundRequest, signInWithForm, test, unique, waitForLiveQueue } from "./support/fixtures.ts";

test("a reviewer cannot decide a request made on their own behalf, and the page says why", async ({ page, app }) => {
  await signInWithForm(page, app.reviewer);
  await waitForLiveQueue(page);

  const summary = unique("Refund my own duplicate charge");
  const created = await agentApi(app.agents.billing.key).createRequest(
    refundRequest(summary, { context: { on_behalf_of: app.reviewer.email, delegation_chain: ["billing-agent"] } }),
  );

  const row = page.getByTestId("request-row").filter({ hasText: summary });
  await expect(row.getByTestId("cannot-decide")).toHaveText("You cannot decide a request made on your own behalf");

  await row.click();
  await expect(page).toHaveURL(new RegExp(`/requests/${created.id}$`));
  await expect(page.getByTestId("cannot-decide-reason")).toHaveText("You cannot decide a request made on your own behalf.");
  await expect(page.getByRole("button", { name: "Approve" })).toBeDisabled();
  await expect(page.getByRole("button", { name: "Deny" })).toBeDisabled();
  await expect(page.getByLabel("Reason")).toBeDisabled();
});
