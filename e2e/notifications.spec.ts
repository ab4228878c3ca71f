import { mkdirSync } from "node:fs";
import path from "node:path";
import type { Page } from "@playwright/test";
import { agentApi, expect, refundRequest, signInWithForm, test, unique, waitForLiveQueue } from "./support/fixtures.ts";

// Set SCREENSHOT_DIR to keep screenshots for a person to look at.
const SCREENSHOT_DIR = process.env.SCREENSHOT_DIR;

async function screenshot(page: Page, name: string): Promise<void> {
  if (!SCREENSHOT_DIR) return;
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}

/**
 * Records every notification the page shows, passing each through to the
 * browser's real Notification (a test cannot see the desktop's).
 */
async function recordNotifications(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const Real = window.Notification;
    const shown: { title: string; body?: string; tag?: string }[] = [];
    (window as unknown as { __shown: typeof shown }).__shown = shown;
    window.Notification = new Proxy(Real, {
      construct(target, args: [string, NotificationOptions?]) {
        shown.push({ title: args[0], body: args[1]?.body, tag: args[1]?.tag });
        return Reflect.construct(target, args);
      },
      get(target, prop) {
        const value = Reflect.get(target, prop, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  });
}

const shown = (page: Page) => page.evaluate(() => (window as unknown as { __shown: { title: string; body?: string; tag?: string }[] }).__shown);

test("a reviewer chooses their emails, turns on browser notifications, and is notified of new work", async ({ page, app, context }) => {
  await context.grantPermissions(["notifications"]);
  await recordNotifications(page);
  await signInWithForm(page, app.reviewer);

  // The bell in the header leads to the settings.
  await page.getByRole("link", { name: "Notification settings" }).click();
  await expect(page.getByRole("heading", { name: "Notifications" })).toBeVisible();
  // This test app has no SMTP server, and says so.
  await expect(page.getByTestId("email-disabled")).toContainText("COUNTERSIGN_SMTP_URL");

  const reminders = page.getByRole("checkbox", { name: /Reminders/ });
  await expect(reminders).toBeChecked();
  await reminders.uncheck();
  await expect(page.getByTestId("preferences-status")).toHaveText("Saved.");
  await page.reload();
  await expect(page.getByRole("checkbox", { name: /Reminders/ })).not.toBeChecked();
  await expect(page.getByRole("checkbox", { name: /New requests/ })).toBeChecked();
  await page.getByRole("checkbox", { name: /Reminders/ }).check();
  await expect(page.getByTestId("preferences-status")).toHaveText("Saved.");

  await page.getByRole("button", { name: "Turn on" }).click();
  await expect(page.getByTestId("browser-notifications-state")).toHaveText(/^On: /);
  await screenshot(page, "notification-settings");

  // Back to the queue: a new request this reviewer may decide shows a notification, once.
  await page.getByRole("link", { name: "Queue" }).first().click();
  await waitForLiveQueue(page);
  const count = page.getByTestId("queue-count");
  await expect(count).toHaveAttribute("title", /^\d+ awaiting your decision, \d+ pending in all$/);
  const summary = unique("<b>Refund</b> $310 to cus_77");
  const created = await agentApi(app.agents.billing.key).createRequest(refundRequest(summary));
  await expect(page.getByTestId("request-row").filter({ hasText: summary })).toBeVisible();
  await expect
    .poll(async () => (await shown(page)).filter((n) => n.tag === created.id))
    .toEqual([{ title: `Approval needed: ${summary}`, body: expect.stringMatching(/^billing-agent · payments\.refund/), tag: created.id }]);

  // Turned off, new work stays quiet.
  await page.goto("/settings/notifications");
  await page.getByRole("button", { name: "Turn off" }).click();
  await expect(page.getByTestId("browser-notifications-state")).toHaveText(/^Off\. /);
  await page.goto("/");
  await waitForLiveQueue(page);
  const quiet = unique("Refund $20 while notifications are off");
  const second = await agentApi(app.agents.billing.key).createRequest(refundRequest(quiet));
  await expect(page.getByTestId("request-row").filter({ hasText: quiet })).toBeVisible();
  expect((await shown(page)).filter((n) => n.tag === second.id)).toEqual([]);
});
