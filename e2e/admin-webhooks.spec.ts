import { mkdirSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import type { Page } from "@playwright/test";
import { Webhook } from "standardwebhooks";
import { expect, signInWithForm, test } from "./support/fixtures.ts";

// Set SCREENSHOT_DIR to keep screenshots (desktop and phone) for a person to look at.
const SCREENSHOT_DIR = process.env.SCREENSHOT_DIR;

async function screenshot(page: Page, name: string): Promise<void> {
  if (!SCREENSHOT_DIR) return;
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}

/** A real receiver on 127.0.0.1: resolves `first` with the first webhook that arrives. */
async function startReceiver() {
  let resolve: (r: { body: string; headers: Record<string, string> }) => void = () => {};
  const first = new Promise<{ body: string; headers: Record<string, string> }>((r) => (resolve = r));
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      res.writeHead(204).end();
      resolve({ body: Buffer.concat(chunks).toString("utf8"), headers: req.headers as Record<string, string> });
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/hooks/${port}`, first, close: () => new Promise<void>((r) => server.close(() => r())) };
}

test("an admin adds a webhook endpoint, sees its secret once, sends a test event a real receiver verifies, and sees it delivered", async ({ page, app }) => {
  const receiver = await startReceiver();
  try {
    await signInWithForm(page, app.admin, "/admin/webhooks");
    await expect(page.getByRole("heading", { name: "Webhooks", exact: true })).toBeVisible();
    await page.getByLabel("URL").fill(receiver.url);
    await page.getByLabel("Description").fill("#approvals (e2e)");
    await page.getByLabel("agent.suspended").check();
    await page.getByRole("button", { name: "Add endpoint" }).click();

    const secret = (await page.getByTestId("secret-value").textContent())!.trim();
    expect(secret).toMatch(/^whsec_/);
    await screenshot(page, "webhooks-desktop-secret");
    await page.getByRole("button", { name: "Done" }).click();
    await expect(page.getByTestId("one-time-secret")).toHaveCount(0);
    await expect(page.getByText(secret)).toHaveCount(0);

    const row = page.getByTestId("webhook-endpoint").filter({ hasText: receiver.url });
    await expect(row).toContainText("#approvals (e2e)");
    await expect(row).toContainText("agent.suspended");
    await row.getByRole("button", { name: "Send test" }).click();

    const received = await receiver.first;
    const payload = new Webhook(secret).verify(received.body, received.headers) as { type: string; text: string };
    expect(payload.type).toBe("webhook.test");

    const delivery = page.getByTestId("delivery").filter({ hasText: "webhook.test" }).filter({ hasText: "#approvals (e2e)" }).first();
    await expect(delivery.getByTestId("delivery-status")).toHaveText("delivered");
    await expect(delivery).toContainText("1 attempt · HTTP 204");
    await screenshot(page, "webhooks-desktop");
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, "webhooks-phone");
  } finally {
    await receiver.close();
  }
});

test("an admin rotates an agent's callback secret on its page and sees the new secret once", async ({ page, app }) => {
  await signInWithForm(page, app.admin, `/admin/agents/${app.agents.ops.id}`);
  await page.getByRole("button", { name: "Rotate callback secret" }).click();
  const secret = (await page.getByTestId("secret-value").textContent())!.trim();
  expect(secret).toMatch(/^whsec_/);
  await screenshot(page, "agent-callback-secret-desktop");
  await page.getByRole("button", { name: "Done" }).click();
  await expect(page.getByText(secret)).toHaveCount(0);
});
