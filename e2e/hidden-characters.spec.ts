import { createHash } from "node:crypto";
import { mkdirSync } from "node:fs";
import path from "node:path";
import type { Page } from "@playwright/test";
import canonicalize from "canonicalize";
import { agentApi, expect, refundRequest, signInWithForm, test, unique, waitForLiveQueue } from "./support/fixtures.ts";

// Set SCREENSHOT_DIR to keep screenshots (desktop and phone) for a person to look at.
const SCREENSHOT_DIR = process.env.SCREENSHOT_DIR;

async function screenshot(page: Page, name: string): Promise<void> {
  if (!SCREENSHOT_DIR) return;
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}

const RLO = "\u202e";
const PDF = "\u202c";
const ZWSP = "\u200b";

test("a reviewer sees params as the value the grant binds, hidden characters marked and warned about, on desktop and phone", async ({ page, context, app }) => {
  await context.grantPermissions(["clipboard-read", "clipboard-write"]);
  const agent = agentApi(app.agents.billing.key);
  await signInWithForm(page, app.reviewer);
  await waitForLiveQueue(page);

  const summary = unique("Pay out to a new account");
  // Storage order differs from canonical order; one long unbroken value that must wrap on a phone.
  const params = {
    to: `acct_${RLO}1234_evil${PDF}`,
    note: "line one\nline two",
    amount: 500,
    reference: "x".repeat(240),
    currency: "USD",
  };
  const created = (await agent.createRequest(
    refundRequest(summary, { action: "payments.transfer", params, justification: `Requested by the customer${ZWSP} by phone.` }),
  )) as unknown as { id: string; params_sha256: string };
  const canonical = canonicalize(params)!;
  expect(created.params_sha256).toBe(createHash("sha256").update(canonical, "utf8").digest("hex"));

  // The queue warns before the request is opened.
  const row = page.getByTestId("request-row").filter({ hasText: summary });
  await expect(row.getByTestId("hidden-characters-badge")).toHaveText("Hidden characters");
  await screenshot(page, "hidden-queue-desktop");

  await row.click();
  await expect(page).toHaveURL(new RegExp(`/requests/${created.id}$`));

  // The warning names each field and character.
  const warning = page.getByTestId("hidden-characters-warning");
  await expect(warning).toContainText("This request contains hidden or direction-changing characters");
  await expect(warning.getByTestId("hidden-characters-fields")).toContainText("params.to: U+202E RIGHT-TO-LEFT OVERRIDE, U+202C POP DIRECTIONAL FORMATTING");
  await expect(warning.getByTestId("hidden-characters-fields")).toContainText("justification: U+200B ZERO WIDTH SPACE");
  await expect(page.locator('[data-testid="risk-flag"][data-code="hidden_characters"]')).toContainText("params.to: U+202E RIGHT-TO-LEFT OVERRIDE");

  // Keys in canonical order; the value with its hidden characters written out, not applied.
  const view = page.getByTestId("params");
  await expect(view.locator(":scope > [data-testid=param-entry] > [data-testid=param-key]")).toHaveText([
    '"amount"',
    '"currency"',
    '"note"',
    '"reference"',
    '"to"',
  ]);
  const to = view.getByTestId("param-entry").filter({ hasText: '"to"' });
  await expect(to).toHaveText('"to": "acct_⟨U+202E RLO⟩1234_evil⟨U+202C PDF⟩"');
  await expect(to.getByTestId("hidden-char")).toHaveText(["⟨U+202E RLO⟩", "⟨U+202C PDF⟩"]);
  // The line break is shown (↵) and kept as a break.
  await expect(view.getByTestId("param-entry").filter({ hasText: '"note"' })).toHaveText('"note": "line one↵\nline two",');
  const note = await view
    .getByTestId("param-entry")
    .filter({ hasText: '"note"' })
    .evaluate((el) => (el as HTMLElement).innerText);
  expect(note.split("\n")).toEqual(['"note": "line one↵', 'line two",']);
  await expect(page.getByTestId("justification")).toHaveText("Requested by the customer⟨U+200B ZWSP⟩ by phone.");

  // Nowhere on the page is a hidden character applied.
  const text = await page.locator("body").innerText();
  for (const c of [RLO, PDF, ZWSP]) expect(text).not.toContain(c);
  expect(await page.locator("body").textContent()).not.toMatch(/[\u202e\u202c\u200b]/);

  // The canonical JSON and its SHA-256, computed in the browser, equal params_sha256.
  await expect(page.getByTestId("params-hash-check")).toHaveAttribute("data-state", "match");
  await expect(page.getByTestId("canonical-sha256")).toHaveText(created.params_sha256);
  await expect(page.getByTestId("params-sha256")).toHaveText(created.params_sha256);
  await expect(page.getByTestId("canonical-json")).toHaveText(canonical.replace(RLO, "⟨U+202E RLO⟩").replace(PDF, "⟨U+202C PDF⟩"));
  await page.getByRole("button", { name: "Copy the canonical JSON" }).click();
  await expect(page.getByRole("button", { name: "Copy the canonical JSON" })).toHaveText("Copied");
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(canonical);
  await screenshot(page, "hidden-request-desktop");

  // On a phone the page does not scroll sideways: values wrap.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.reload();
  await expect(page.getByTestId("params-hash-check")).toHaveAttribute("data-state", "match");
  const widths = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, viewport: window.innerWidth }));
  expect(widths.scroll).toBeLessThanOrEqual(widths.viewport);
  await screenshot(page, "hidden-request-phone");

  await page.goto("/");
  await expect(page.getByTestId("request-row").filter({ hasText: summary }).getByTestId("hidden-characters-badge")).toBeVisible();
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await screenshot(page, "hidden-queue-phone");
});

test("a request without hidden characters shows no warning and the same canonical hash", async ({ page, app }) => {
  const agent = agentApi(app.agents.billing.key);
  await signInWithForm(page, app.reviewer);
  await waitForLiveQueue(page);
  const summary = unique("Refund $120");
  const created = (await agent.createRequest(
    refundRequest(summary, { params: { currency: "USD", amount: 120, nested: { b: [1, "two"], a: null } } }),
  )) as unknown as {
    id: string;
    params_sha256: string;
  };
  const row = page.getByTestId("request-row").filter({ hasText: summary });
  await expect(row).toBeVisible();
  await expect(row.getByTestId("hidden-characters-badge")).toHaveCount(0);
  await row.click();
  await expect(page.getByTestId("params-hash-check")).toHaveAttribute("data-state", "match");
  await expect(page.getByTestId("canonical-sha256")).toHaveText(created.params_sha256);
  await expect(page.getByTestId("canonical-json")).toHaveText('{"amount":120,"currency":"USD","nested":{"a":null,"b":[1,"two"]}}');
  await expect(page.getByTestId("hidden-characters-warning")).toHaveCount(0);
});

test("a summary that says what the params do not is flagged under the headline; one that agrees is not", async ({ page, app }) => {
  const agent = agentApi(app.agents.billing.key);
  await signInWithForm(page, app.reviewer);
  // Letters only: a tag that happens to be all digits ("400281") is itself a number the params do not contain.
  const tag = unique("summary check").replace(/[0-9]/g, (d) => "ghijklmnop"[Number(d)]);
  const lying = (await agent.createRequest(
    refundRequest(`Refund $5 to customer cus_007 (${tag})`, { params: { amount: 5000, currency: "USD", customer: "cus_007" } }),
  )) as unknown as { id: string };
  const honest = (await agent.createRequest(
    refundRequest(`Refund $50.00 to customer cus_007 (${tag})`, { params: { amount: 5000, currency: "USD", customer: "cus_007" } }),
  )) as unknown as { id: string };

  await page.goto(`/requests/${lying.id}`);
  const warning = page.getByTestId("summary-mismatch");
  await expect(warning).toContainText("The summary does not match the parameters.");
  await expect(warning.locator("code")).toHaveText(["5"]);
  await screenshot(page, "summary-mismatch-desktop");

  await page.goto(`/requests/${honest.id}`);
  await expect(page.getByTestId("request-summary")).toContainText("Refund $50.00");
  await expect(page.getByTestId("summary-mismatch")).toHaveCount(0);
});
