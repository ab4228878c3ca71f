import { agentApi, expect, refundRequest, signInWithForm, test, unique, waitForLiveQueue } from "./support/fixtures.ts";

test("an admin registers an agent, and suspending it in the console takes its pending request out of a reviewer's live queue and refuses its key", async ({
  page,
  browser,
  app,
}) => {
  // The admin registers an agent in the console; its key is shown once.
  await signInWithForm(page, app.admin, "/admin/agents");
  await expect(page.getByRole("heading", { name: "Agents", exact: true })).toBeVisible();
  const name = unique("kill-switch").replace(" ", "-");
  await page.getByRole("button", { name: "New agent" }).click();
  await page.getByLabel("Name", { exact: true }).fill(name);
  await page.getByLabel("Owner").fill("owner@example.test");
  await page.getByLabel("Tags", { exact: true }).fill("e2e, finance");
  await page.getByRole("button", { name: "Create agent" }).click();
  const key = (await page.getByTestId("secret-value").textContent())!.trim();
  expect(key).toMatch(/^csk_/);
  await page.getByRole("button", { name: "Done" }).click();
  await expect(page.getByTestId("one-time-secret")).toHaveCount(0);
  const row = page.getByTestId("agent-row").filter({ hasText: name });
  await expect(row).toBeVisible();

  // The agent asks for something; a reviewer sees it in the live queue.
  const agent = agentApi(key);
  const summary = unique("Refund $75 via the doomed agent");
  const created = await agent.createRequest(refundRequest(summary));
  const reviewerContext = await browser.newContext();
  const reviewerPage = await reviewerContext.newPage();
  await signInWithForm(reviewerPage, app.reviewer);
  await waitForLiveQueue(reviewerPage);
  const queued = reviewerPage.getByTestId("request-row").filter({ hasText: summary });
  await expect(queued).toBeVisible();
  // Reviewers have no admin link and are sent away from the console.
  await expect(reviewerPage.getByRole("link", { name: "Admin" })).toHaveCount(0);

  // The admin opens the agent and pulls the kill switch, with a reason.
  await row.click();
  await expect(page.getByTestId("agent-detail")).toHaveAttribute("data-status", "active");
  await expect(page.getByTestId("request-counts")).toHaveText("1 pending · 1 in total");
  await page.getByRole("button", { name: "Suspend", exact: true }).click();
  const dialog = page.getByRole("dialog", { name: "Suspend this agent?" });
  await dialog.getByLabel("Reason").fill("Runaway refunds in a loop");
  await dialog.getByRole("button", { name: "Suspend agent" }).click();
  await expect(page.getByTestId("agent-detail")).toHaveAttribute("data-status", "suspended");
  await expect(page.getByTestId("status-outcome")).toHaveText("Suspended: 1 pending request cancelled, 0 grants revoked.");
  await expect(page.getByTestId("request-counts")).toHaveText("0 pending · 1 in total");

  // The reviewer's queue drops the request without a reload.
  await expect(queued).toHaveCount(0);

  // The agent's key is now refused with 403 agent_suspended.
  const refused = await fetch(`${app.url}/api/v1/requests/${created.id}`, { headers: { authorization: `Bearer ${key}` } });
  expect(refused.status).toBe(403);
  expect((await refused.json()).code).toBe("agent_suspended");

  // Resume lets it back in; the cancelled request stays cancelled.
  await page.getByRole("button", { name: "Resume" }).click();
  await page.getByRole("dialog", { name: "Resume this agent?" }).getByRole("button", { name: "Resume agent" }).click();
  await expect(page.getByTestId("agent-detail")).toHaveAttribute("data-status", "active");
  const after = await agent.getRequest(created.id);
  expect(after.status).toBe("cancelled");
  expect(after.decision).toMatchObject({ by: "system", reason: "agent suspended: Runaway refunds in a loop" });

  await reviewerPage.goto("/admin/agents");
  await expect(reviewerPage).toHaveURL(`${app.url}/`);
  await reviewerContext.close();
});

test("rotating a key in the console: the new key is shown once, both work, and revoking the old one refuses it", async ({ page, app }) => {
  await signInWithForm(page, app.admin, "/admin/agents");
  await page.getByRole("button", { name: "New agent" }).click();
  const name = unique("rotating").replace(" ", "-");
  await page.getByLabel("Name", { exact: true }).fill(name);
  await page.getByRole("button", { name: "Create agent" }).click();
  const oldKey = (await page.getByTestId("secret-value").textContent())!.trim();
  await page.getByRole("button", { name: "Done" }).click();
  await page.getByTestId("agent-row").filter({ hasText: name }).click();

  await page.getByRole("button", { name: "Issue new key" }).click();
  const newKey = (await page.getByTestId("secret-value").textContent())!.trim();
  expect(newKey).not.toBe(oldKey);
  await expect(page.getByTestId("key-row").and(page.locator('[data-live="true"]'))).toHaveCount(2);
  const created = await agentApi(newKey).createRequest(refundRequest(unique("Refund with the new key")));
  expect((await agentApi(oldKey).getRequest(created.id)).id).toBe(created.id);

  const oldId = oldKey.split("_")[1];
  await page.getByRole("button", { name: `Revoke key ${oldId}` }).click();
  await expect(page.locator(`[data-key-id="${oldId}"]`)).toHaveAttribute("data-live", "false");
  const res = await fetch(`${app.url}/api/v1/requests/${created.id}`, { headers: { authorization: `Bearer ${oldKey}` } });
  expect(res.status).toBe(401);
  expect((await agentApi(newKey).getRequest(created.id)).id).toBe(created.id);
});

test("an auditor sees the console read-only", async ({ page, app }) => {
  await signInWithForm(page, app.auditor, "/");
  await page.getByRole("link", { name: "Admin" }).click();
  await expect(page).toHaveURL(/\/admin\/agents$/);
  await expect(page.getByTestId("read-only")).toBeVisible();
  await expect(page.getByRole("button", { name: "New agent" })).toHaveCount(0);
  await page.getByTestId("agent-row").filter({ hasText: app.agents.ops.name }).click();
  await expect(page.getByTestId("agent-detail")).toBeVisible();
  await expect(page.getByRole("button", { name: "Suspend", exact: true })).toHaveCount(0);
  await expect(page.getByRole("button", { name: /Revoke/ })).toHaveCount(0);
  await page.getByRole("link", { name: "Reviewers" }).click();
  await expect(page.getByTestId("user-row").filter({ hasText: app.reviewer.email })).toBeVisible();
  await expect(page.getByLabel(`Role of ${app.reviewer.email}`)).toBeDisabled();
  await expect(page.getByRole("button", { name: "Disable" })).toHaveCount(0);
});
