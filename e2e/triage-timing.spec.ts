import { randomBytes } from "node:crypto";
import type { Page } from "@playwright/test";
import { agentApi, expect, refundRequest, signInWithForm, test, waitForLiveQueue } from "./support/fixtures.ts";

// A measurement, not a benchmark with a threshold: how many keys a reviewer
// presses per decision, and how long triaging 20 requests by keyboard takes in
// Chromium against the real app (each decision is a real API call, and the
// queue updates through the live stream). Prints the figures for the README.
// Run: npx playwright test e2e/triage-timing.spec.ts

const N = 20;

async function queueOf(page: Page, app: { agents: { billing: { key: string } } }, what: string) {
  const action = `triage.timing.${what}.${randomBytes(3).toString("hex")}`;
  const ids: string[] = [];
  for (let i = 0; i < N; i++) ids.push((await agentApi(app.agents.billing.key).createRequest(refundRequest(`Refund #${i + 1} (${what})`, { action }))).id);
  await page.goto(`/?action=${action}`);
  await waitForLiveQueue(page);
  await expect(page.getByTestId("request-row")).toHaveCount(N);
  return ids;
}

/** Waits (polling every animation frame, not Playwright's backing-off retries, which would dominate the figure) until the queue shows `n` rows. */
async function rowsLeft(page: Page, n: number) {
  await page.waitForFunction((count) => document.querySelectorAll('[data-testid="request-row"]').length === count, n, { polling: "raf", timeout: 10_000 });
}

test("keystrokes per decision and time to triage 20 requests by keyboard", async ({ page, app }) => {
  test.setTimeout(180_000);
  await signInWithForm(page, app.reviewer);
  let keys = 0;
  const press = async (key: string) => {
    keys++;
    await page.keyboard.press(key);
  };

  // One by one: focus the first row, then `a` and Enter for each (the next row takes focus).
  const oneByOne = await queueOf(page, app, "one");
  keys = 0;
  let started = performance.now();
  await press("j");
  for (let left = N; left > 0; left--) {
    await press("a");
    await press("Enter");
    await rowsLeft(page, left - 1);
  }
  const oneByOneMs = performance.now() - started;
  const oneByOneKeys = keys;

  // As a batch: x on each row (j between), then `a` and Enter once.
  const batch = await queueOf(page, app, "batch");
  keys = 0;
  started = performance.now();
  await press("j");
  for (let i = 0; i < N; i++) {
    await press("x");
    if (i < N - 1) await press("j");
  }
  await expect(page.getByTestId("batch-bar")).toContainText(`${N} selected`);
  await press("a");
  await press("Enter");
  await rowsLeft(page, 0);
  const batchMs = performance.now() - started;
  const batchKeys = keys;

  // Denials need a reason: `d`, the reason, Enter.
  const deny = await queueOf(page, app, "deny");
  const reason = "dup";
  keys = 0;
  started = performance.now();
  await press("j");
  for (let left = N; left > 0; left--) {
    await press("d");
    for (const ch of reason) await press(ch);
    await press("Enter");
    await rowsLeft(page, left - 1);
  }
  const denyMs = performance.now() - started;
  const denyKeys = keys;

  for (const id of [...oneByOne, ...batch]) expect((await agentApi(app.agents.billing.key).getRequest(id)).status).toBe("approved");
  for (const id of deny) expect((await agentApi(app.agents.billing.key).getRequest(id)).status).toBe("denied");

  const line = (what: string, k: number, ms: number) =>
    `${what}: ${k} keystrokes for ${N} decisions (${(k / N).toFixed(2)} per decision), ${(ms / 1000).toFixed(1)} s (${(ms / N).toFixed(0)} ms per decision)`;
  console.log(
    [
      `Keyboard triage of ${N} requests in Chromium:`,
      line("approve one by one (j, then a Enter each)", oneByOneKeys, oneByOneMs),
      line("approve as a batch (x/j each, then a Enter)", batchKeys, batchMs),
      line(`deny one by one (j, then d "${reason}" Enter each)`, denyKeys, denyMs),
    ].join("\n  "),
  );
});
