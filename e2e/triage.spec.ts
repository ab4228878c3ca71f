import { randomBytes } from "node:crypto";
import type { Page } from "@playwright/test";
import { passwordSignIn } from "../test/support/password-sign-in.ts";
import { agentApi, expect, refundRequest, reviewerSession, signInWithForm, test, waitForLiveQueue } from "./support/fixtures.ts";

// Triage at speed: the queue's keyboard shortcuts, batch decisions with every
// item's params in view, and filters kept in the URL. Each test asks with an
// action of its own and filters the queue to it, so other specs' requests
// never get in the way.

const uniqueAction = (what: string) => `triage.${what}.${randomBytes(3).toString("hex")}`;

async function ask(key: string, action: string, summary: string, overrides: Record<string, unknown> = {}) {
  return agentApi(key).createRequest(refundRequest(`${summary} ${randomBytes(2).toString("hex")}`, { action, ...overrides }));
}

const rows = (page: Page) => page.getByTestId("request-row");
const focusedRow = (page: Page) => page.locator('[data-testid="request-row"][data-focused="true"]');

test("keyboard triage: j/k move, a approves with Enter, x selects, d denies the selection with a reason, e edits, ? helps", async ({ page, app }) => {
  const action = uniqueAction("keys");
  const created = [];
  for (const n of [1, 2, 3, 4]) created.push(await ask(app.agents.billing.key, action, `Refund ${n}`));
  // Newest first: the last one asked is the first row.
  const [r4, r3, r2, r1] = [...created].reverse();
  const agent = agentApi(app.agents.billing.key);

  await signInWithForm(page, app.reviewer, `/?action=${action}`);
  await waitForLiveQueue(page);
  await expect(rows(page)).toHaveCount(4);

  await page.keyboard.press("j");
  await expect(focusedRow(page)).toHaveAttribute("data-request-id", r4.id);
  await expect(rows(page).first()).toBeFocused();
  await page.keyboard.press("j");
  await page.keyboard.press("k");
  await expect(focusedRow(page)).toHaveAttribute("data-request-id", r4.id);

  // a: the confirmation opens on the focused request with the reason field focused; Enter approves.
  await page.keyboard.press("a");
  const dialog = page.getByTestId("decision-confirm");
  await expect(dialog).toBeVisible();
  await expect(dialog.getByTestId("confirm-item")).toHaveCount(1);
  await expect(dialog.getByLabel(/Reason/)).toBeFocused();
  // Typing in the field is text, not shortcuts.
  await page.keyboard.type("jkx ok");
  await expect(dialog.getByLabel(/Reason/)).toHaveValue("jkx ok");
  await page.keyboard.press("Enter");
  await expect(dialog).toBeHidden();
  await expect(rows(page)).toHaveCount(3);
  expect(await agent.getRequest(r4.id)).toMatchObject({ status: "approved", decision: { reason: "jkx ok" } });
  await expect(page.getByTestId("batch-results")).toContainText("Approved: 1 of 1");

  // Focus moved to the row that took its place.
  await expect(focusedRow(page)).toHaveAttribute("data-request-id", r3.id);
  await expect(rows(page).first()).toBeFocused();

  // x selects the focused row; j, x selects the next; d denies both, with a reason.
  await page.keyboard.press("x");
  await page.keyboard.press("j");
  await page.keyboard.press("x");
  await expect(page.getByTestId("batch-bar")).toContainText("2 selected");
  await page.keyboard.press("d");
  await expect(dialog.getByTestId("confirm-item")).toHaveCount(2);
  await page.keyboard.press("Enter");
  await expect(dialog.getByTestId("confirm-error")).toHaveText("A reason is required to deny.");
  await page.keyboard.type("Duplicate of an earlier refund");
  await page.keyboard.press("Enter");
  await expect(dialog).toBeHidden();
  await expect(rows(page)).toHaveCount(1);
  for (const r of [r3, r2]) expect(await agent.getRequest(r.id)).toMatchObject({ status: "denied", decision: { reason: "Duplicate of an earlier refund" } });
  await expect(page.getByTestId("batch-result")).toHaveCount(2);

  // Escape cancels a confirmation: nothing is decided.
  await page.keyboard.press("j");
  await page.keyboard.press("a");
  await expect(dialog).toBeVisible();
  await page.keyboard.press("Escape");
  await expect(dialog).toBeHidden();
  expect((await agent.getRequest(r1.id)).status).toBe("pending");

  // ? shows the shortcuts.
  await page.keyboard.press("?");
  await expect(page.getByTestId("shortcuts-help")).toBeVisible();
  await expect(page.getByTestId("shortcuts-help")).toContainText("Approve it (or the selected ones)");
  await page.keyboard.press("Escape");
  await expect(page.getByTestId("shortcuts-help")).toBeHidden();

  // e opens the focused request for editing; o opens it.
  await rows(page).first().focus();
  await page.keyboard.press("e");
  await expect(page).toHaveURL(new RegExp(`/requests/${r1.id}\\?edit=1$`));
  await page.goBack();
  await expect(rows(page)).toHaveCount(1);
  await page.keyboard.press("j");
  await page.keyboard.press("o");
  await expect(page).toHaveURL(new RegExp(`/requests/${r1.id}$`));
});

test("on a request's page, a then Enter approves, and the next request to decide takes focus", async ({ page, app }) => {
  const action = uniqueAction("next");
  const first = await ask(app.agents.billing.key, action, "Refund first");
  const second = await ask(app.agents.billing.key, action, "Refund second");
  await signInWithForm(page, app.reviewer, `/requests/${first.id}`);
  await expect(page.getByTestId("request-detail")).toHaveAttribute("data-status", "pending");

  await page.keyboard.press("a");
  await expect(page.getByTestId("decision-confirm").getByLabel(/Reason/)).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(page.getByTestId("request-detail")).toHaveAttribute("data-status", "approved");
  const next = page.getByTestId("next-request-link");
  await expect(next).toBeFocused();
  // Newest first; the decided one is gone, so `second` (or a newer request of another spec) is next.
  const href = await next.getAttribute("href");
  expect(href).toMatch(/^\/requests\/req_/);
  expect(href).not.toContain(first.id);
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL(new RegExp(href!.replace(/[?]/g, "\\?")));
  await expect(page.getByTestId("request-detail")).toHaveAttribute("data-status", "pending");
  expect((await agentApi(app.agents.billing.key).getRequest(first.id)).status).toBe("approved");
  expect((await agentApi(app.agents.billing.key).getRequest(second.id)).status).toBe("pending");
});

test("batch approve shows every item's params as inert text, then every item's result", async ({ page, app }) => {
  const action = uniqueAction("batch");
  const amounts = [1111, 2222, 3333];
  const created = [];
  for (const amount of amounts) {
    created.push(
      await ask(app.agents.billing.key, action, `Refund ${amount}`, { params: { amount, currency: "USD", note: `<img src=x onerror=alert(${amount})>` } }),
    );
  }
  let alerted = false;
  page.on("dialog", async (d) => {
    alerted = true;
    await d.dismiss();
  });

  await signInWithForm(page, app.reviewer, `/?action=${action}`);
  await waitForLiveQueue(page);
  await expect(rows(page)).toHaveCount(3);
  await page.getByTestId("select-all").check();
  const bar = page.getByTestId("batch-bar");
  await expect(bar).toContainText("3 selected");
  await bar.getByRole("button", { name: "Approve 3" }).click();

  const dialog = page.getByTestId("decision-confirm");
  await expect(dialog.getByTestId("confirm-item")).toHaveCount(3);
  for (const [i, r] of created.entries()) {
    const item = dialog.locator(`[data-testid="confirm-item"][data-request-id="${r.id}"]`);
    await expect(item).toContainText(action);
    await expect(item).toContainText(app.agents.billing.name);
    const params = item.getByTestId("confirm-params");
    await expect(params).toContainText(`"amount": ${amounts[i]}`);
    await expect(params).toContainText(`<img src=x onerror=alert(${amounts[i]})>`);
  }
  await expect(dialog.locator("img")).toHaveCount(0);
  await dialog.getByLabel(/Reason/).fill("All three checked against the tickets");
  await dialog.getByRole("button", { name: "Approve 3" }).click();
  await expect(dialog).toBeHidden();

  const results = page.getByTestId("batch-result");
  await expect(results).toHaveCount(3);
  for (const i of [0, 1, 2]) await expect(results.nth(i)).toHaveAttribute("data-status", "200");
  await expect(rows(page)).toHaveCount(0);
  for (const r of created) expect((await agentApi(app.agents.billing.key).getRequest(r.id)).status).toBe("approved");
  expect(alerted).toBe(false);
});

test("a refused item is shown in the confirmation with the reason it was refused; the others are decided", async ({ page, app }) => {
  const action = uniqueAction("mixed");
  const a = await ask(app.agents.billing.key, action, "Refund one");
  const b = await ask(app.agents.billing.key, action, "Refund two");
  await signInWithForm(page, app.reviewer, `/?action=${action}`);
  await waitForLiveQueue(page);
  await expect(rows(page)).toHaveCount(2);
  await page.getByTestId("select-all").check();
  await page.getByTestId("batch-bar").getByRole("button", { name: "Approve 2" }).click();
  const dialog = page.getByTestId("decision-confirm");
  await expect(dialog.getByTestId("confirm-item")).toHaveCount(2);

  // Another reviewer denies one while the confirmation is open.
  expect((await (await reviewerSession(app.secondReviewer)).decide(a.id, "deny", "Not ours")).status).toBe(200);

  await dialog.getByRole("button", { name: "Approve 2" }).click();
  const results = dialog.getByTestId("confirm-result");
  await expect(results).toHaveCount(2);
  await expect(dialog.locator(`[data-request-id="${a.id}"]`).getByTestId("confirm-result")).toHaveText("The request is already denied");
  await expect(dialog.locator(`[data-request-id="${b.id}"]`).getByTestId("confirm-result")).toHaveText("Approved");
  await expect(dialog.getByRole("button", { name: "Close" })).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(dialog).toBeHidden();
  await expect(rows(page)).toHaveCount(0);
});

test("filters live in the URL: agent, action, I can decide and expiring soon survive a reload", async ({ page, app }) => {
  const action = uniqueAction("filters");
  const billing = await ask(app.agents.billing.key, action, "Refund from billing");
  const ops = await ask(app.agents.ops.key, action, "Refund from ops");
  const soon = await ask(app.agents.billing.key, action, "Refund expiring soon", { expires_in: 300 });
  const mine = await ask(app.agents.billing.key, action, "Refund on my own behalf", { context: { on_behalf_of: app.reviewer.email } });

  await signInWithForm(page, app.reviewer, "/");
  await waitForLiveQueue(page);
  await page.getByLabel("Action", { exact: true }).selectOption(action);
  await expect(page).toHaveURL(new RegExp(`[?&]action=${action.replace(/\./g, "\\.")}`));
  await expect(rows(page)).toHaveCount(4);
  // Separation of duties: no checkbox on a request this reviewer may not decide.
  const mineRow = page.locator("li").filter({ has: page.locator(`[data-request-id="${mine.id}"]`) });
  await expect(mineRow.getByTestId("cannot-decide")).toBeVisible();
  await expect(mineRow.getByTestId("select-row")).toHaveCount(0);
  await expect(page.getByTestId("select-all")).toHaveAccessibleName("Select all I can decide (3)");

  // Expiry is highlighted in the row.
  const soonRow = page.locator(`[data-testid="request-row"][data-request-id="${soon.id}"]`);
  await expect(soonRow).toHaveAttribute("data-expiring", "true");
  await expect(soonRow.getByTestId("expiring-soon")).toHaveText("Expires soon");
  await expect(page.locator(`[data-testid="request-row"][data-request-id="${billing.id}"]`)).not.toHaveAttribute("data-expiring", "true");

  await page.getByLabel("Agent", { exact: true }).selectOption(app.agents.ops.name);
  await expect(page).toHaveURL(new RegExp(`[?&]agent=${encodeURIComponent(app.agents.ops.name)}`));
  await expect(rows(page)).toHaveCount(1);
  await expect(rows(page).first()).toHaveAttribute("data-request-id", ops.id);

  await page.getByLabel("Agent", { exact: true }).selectOption("");
  await page.getByText("I can decide", { exact: true }).click();
  await expect(page).toHaveURL(/[?&]decidable=1/);
  await expect(rows(page)).toHaveCount(3);
  await expect(page.locator(`[data-request-id="${mine.id}"]`)).toHaveCount(0);

  await page.getByText("Expiring soon", { exact: true }).click();
  await expect(page).toHaveURL(/[?&]expiring=1/);
  await expect(rows(page)).toHaveCount(1);
  await expect(rows(page).first()).toHaveAttribute("data-request-id", soon.id);

  await page.reload();
  await waitForLiveQueue(page);
  await expect(page.getByLabel("Action", { exact: true })).toHaveValue(action);
  await expect(page.getByTestId("filter-expiring")).toBeChecked();
  await expect(page.getByTestId("filter-decidable")).toBeChecked();
  await expect(rows(page)).toHaveCount(1);
  await expect(rows(page).first()).toHaveAttribute("data-request-id", soon.id);
});

test("e on a request whose rule lets reviewers edit opens it with the amend editor on", async ({ page, app }) => {
  const action = uniqueAction("edit");
  const cookie = await passwordSignIn(app.url, app.admin);
  const rule = await fetch(`${app.url}/api/v1/admin/policies/rules`, {
    method: "POST",
    headers: { cookie: cookie!, origin: app.url, "content-type": "application/json" },
    body: JSON.stringify({
      name: `triage-edit-${randomBytes(3).toString("hex")}`,
      actions: [action],
      effect: "require_approval",
      reviewers_may_edit: ["amount"],
    }),
  });
  expect(rule.status).toBe(201);
  const r = await ask(app.agents.billing.key, action, "Refund to amend");

  await signInWithForm(page, app.reviewer, `/?action=${action}`);
  await waitForLiveQueue(page);
  await expect(rows(page)).toHaveCount(1);
  await page.keyboard.press("j");
  await page.keyboard.press("e");
  await expect(page).toHaveURL(new RegExp(`/requests/${r.id}\\?edit=1$`));
  await expect(page.getByTestId("amend-toggle")).toHaveAttribute("aria-pressed", "true");
  await expect(page.locator('[data-testid="amend-field"][data-name="amount"]')).toBeVisible();
});
