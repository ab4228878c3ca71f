import { mkdirSync, readFileSync } from "node:fs";
import { agentApi, expect, refundRequest, signInWithForm, test, unique } from "./support/fixtures.ts";

const SHOTS = process.env.SCREENSHOT_DIR ?? "/tmp/shots-audit";

test("an auditor follows a request to its audit events, opens one, verifies the chain and exports the filtered log", async ({ page, app }) => {
  mkdirSync(SHOTS, { recursive: true });
  // An agent asks, with markup in its summary that must stay text.
  const summary = unique("<img src=x onerror=alert(1)> Refund $500 audited");
  const created = await agentApi(app.agents.billing.key).createRequest(refundRequest(summary));

  // The auditor opens the request and follows its link to the audit log.
  await signInWithForm(page, app.auditor, `/requests/${created.id}`);
  await page.getByRole("link", { name: "Audit events" }).click();
  await expect(page).toHaveURL(new RegExp(`/audit\\?request=${created.id}$`));
  await expect(page.getByRole("link", { name: "Audit", exact: true })).toHaveAttribute("aria-current", "page");
  const events = page.getByTestId("audit-event");
  await expect(events).toHaveCount(1);
  await expect(events.first()).toContainText("request.created");

  // Filtering by type narrows further: nothing of this request was decided yet.
  await page.getByLabel("Event type").fill("request.approved");
  await expect(page.getByText("Nothing matches these filters.")).toBeVisible();
  await page.getByLabel("Event type").fill("request.*");
  await expect(events).toHaveCount(1);
  await expect(page).toHaveURL(/type=request\.\*/);

  // Opening the event shows its data as inert text and its place in the chain.
  await events.first().click();
  await expect(page.getByTestId("audit-event-title")).toHaveText(/^Event #\d+$/);
  await expect(page.getByTestId("audit-event-hash")).toHaveText(/^[0-9a-f]{64}$/);
  await expect(page.getByTestId("audit-event-data")).toContainText(summary);
  await expect(page.locator("img[src=x]")).toHaveCount(0);

  // Verification recomputes the chain.
  await page.getByRole("button", { name: "Verify chain" }).click();
  await expect(page.getByTestId("verify-result")).toContainText(/Intact up to event \d+\./);
  await page.screenshot({ path: `${SHOTS}/audit-desktop.png`, fullPage: true });

  // Export with the current filters: a streamed download of exactly this request's events.
  const download = page.waitForEvent("download");
  await page.getByRole("button", { name: "Export JSON lines" }).click();
  const file = await (await download).path();
  const lines = readFileSync(file, "utf8")
    .trimEnd()
    .split("\n")
    .map((l) => JSON.parse(l));
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatchObject({ type: "request.created", request_id: created.id, actor: `agent:${app.agents.billing.id}` });
  expect(lines[0].hash).toMatch(/^[0-9a-f]{64}$/);

  const csvDownload = page.waitForEvent("download");
  await page.getByRole("button", { name: "Export CSV" }).click();
  const csv = readFileSync(await (await csvDownload).path(), "utf8").split("\r\n");
  expect(csv[0]).toBe("seq,occurred_at,type,actor,request_id,agent_id,data,prev_hash,hash");
  expect(csv[1]).toContain(`,request.created,agent:${app.agents.billing.id},${created.id},`);

  // Auditors see checkpoints but cannot create them.
  await expect(page.getByRole("heading", { name: "Signed checkpoints" })).toBeVisible();
  await expect(page.getByRole("button", { name: "Checkpoint now" })).toHaveCount(0);

  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: `${SHOTS}/audit-phone.png`, fullPage: true });
});

test("an admin creates a checkpoint in the console and downloads it", async ({ page, app }) => {
  await signInWithForm(page, app.admin, "/audit");
  await page.getByRole("button", { name: "Checkpoint now" }).click();
  const row = page.getByTestId("checkpoints").getByRole("listitem").first();
  await expect(row).toContainText(/Event \d+/);
  const download = page.waitForEvent("download");
  await row.getByRole("button", { name: "Download" }).click();
  const [checkpoint] = readFileSync(await (await download).path(), "utf8")
    .trimEnd()
    .split("\n")
    .map((l) => JSON.parse(l));
  expect(checkpoint.token.split(".")).toHaveLength(3);
  expect(checkpoint.head_hash).toMatch(/^[0-9a-f]{64}$/);
});

test("an admin sets a retention policy, applies it, and goes back to keeping everything", async ({ page, app }) => {
  await signInWithForm(page, app.admin, "/audit");
  const policy = page.getByTestId("retention-policy");
  await expect(policy).toHaveText(/^Events are kept forever/);
  // A century: nothing in this run is that old.
  await page.getByLabel("Keep events for (days)").fill("36500");
  await page.getByRole("button", { name: "Set policy" }).click();
  await expect(policy).toContainText("Events are kept 36500 days.");
  await page.getByRole("button", { name: "Apply now" }).click();
  await expect(page.getByText("Nothing is old enough to delete.")).toBeVisible();
  await page.screenshot({ path: `${SHOTS}/retention.png`, fullPage: true });
  await page.getByRole("button", { name: "Keep forever" }).click();
  await expect(policy).toHaveText(/^Events are kept forever/);
  // Both changes are in the chain.
  await page.getByLabel("Event type").fill("audit.retention_set");
  await expect(page.getByTestId("audit-event")).toHaveCount(2);
});
