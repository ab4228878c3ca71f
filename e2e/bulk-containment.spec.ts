import { mkdirSync } from "node:fs";
import path from "node:path";
import type { Page } from "@playwright/test";
import { agentApi, expect, refundRequest, signInWithForm, test, unique } from "./support/fixtures.ts";

// Set SCREENSHOT_DIR to keep screenshots (desktop and phone) for a person to look at.
const SCREENSHOT_DIR = process.env.SCREENSHOT_DIR;

async function screenshot(page: Page, name: string): Promise<void> {
  if (!SCREENSHOT_DIR) return;
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}

test("an admin suspends every agent with a tag from the console, sees what was cancelled, and resumes them", async ({ page, app }) => {
  const tag = unique("incident").replace(" ", "-");
  const names = [unique("bulk-a"), unique("bulk-b"), unique("bulk-other")].map((n) => n.replace(" ", "-"));
  await signInWithForm(page, app.admin, "/admin/agents");
  const keys: string[] = [];
  for (const [i, name] of names.entries()) {
    const created = await page.request.post("/api/v1/admin/agents", {
      data: { name, tags: i < 2 ? [tag, "finance"] : ["finance"] },
      headers: { origin: app.url },
    });
    expect(created.status()).toBe(201);
    keys.push((await created.json()).key);
  }
  // Three pending requests across the two tagged agents, one for the other.
  const [a, b, other] = keys.map((k) => agentApi(k));
  const pending = [await a.createRequest(refundRequest(unique("Refund A1"))), await a.createRequest(refundRequest(unique("Refund A2")))];
  pending.push(await b.createRequest(refundRequest(unique("Refund B1"))));
  const othersRequest = await other.createRequest(refundRequest(unique("Refund other")));
  await page.reload();

  const row = (name: string) => page.getByTestId("agent-row").filter({ hasText: name });
  for (const name of names) await expect(row(name).getByTestId("agent-status")).toHaveText("Active");

  // The incident control: choose the tag, see what it will do, give a reason, confirm.
  await page.getByRole("button", { name: "Suspend agents…" }).click();
  const dialog = page.getByRole("dialog", { name: "Suspend agents" });
  await expect(dialog).toBeVisible();
  await dialog.getByLabel("Tag", { exact: true }).selectOption(tag);
  await expect(dialog.getByTestId("bulk-preview")).toContainText(
    `2 active agents tagged ${tag} will be stopped, holding 3 pending requests that will be cancelled.`,
  );
  await dialog.getByLabel("Reason").fill("Refund fraud pattern; investigating");
  await screenshot(page, "bulk-suspend-dialog-desktop");
  await dialog.getByRole("button", { name: "Suspend 2 agents" }).click();

  const outcome = page.getByTestId("bulk-outcome");
  await expect(outcome).toContainText(`Suspended 2 agents tagged ${tag}: 3 pending requests cancelled, 0 grants revoked.`);
  await expect(dialog).toBeHidden();
  await expect(row(names[0]).getByTestId("agent-status")).toHaveText("Suspended");
  await expect(row(names[1]).getByTestId("agent-status")).toHaveText("Suspended");
  await expect(row(names[2]).getByTestId("agent-status")).toHaveText("Active");
  await outcome.getByText("Which agents").click();
  await expect(outcome.getByTestId("bulk-outcome-agents")).toHaveText(`${names[0]}${names[1]}`);
  await screenshot(page, "bulk-suspend-outcome-desktop");

  // The agents are stopped for real: keys refused; the other agent's request still waits.
  const refused = await fetch(`${app.url}/api/v1/requests/${pending[0].id}`, { headers: { authorization: `Bearer ${keys[0]}` } });
  expect(refused.status).toBe(403);
  expect((await other.getRequest(othersRequest.id)).status).toBe("pending");

  // Every agent: the preview counts the active ones and skips the suspended ones.
  await page.getByRole("button", { name: "Suspend agents…" }).click();
  await dialog.getByLabel("Every agent", { exact: true }).check();
  await expect(dialog.getByTestId("bulk-preview")).toContainText("2 matching agents already suspended: left as they are.");
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await expect(dialog).toBeHidden();

  // On a phone: the same dialog fits the screen.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.getByRole("button", { name: "Resume agents…" }).click();
  const resume = page.getByRole("dialog", { name: "Resume agents" });
  await resume.getByLabel("Tag", { exact: true }).selectOption(tag);
  await expect(resume.getByTestId("bulk-preview")).toContainText(`2 suspended agents tagged ${tag} will be resumed.`);
  await screenshot(page, "bulk-resume-dialog-phone");
  await resume.getByRole("button", { name: "Resume 2 agents" }).click();
  await expect(outcome).toContainText(`Resumed 2 agents tagged ${tag}.`);
  await expect(row(names[0]).getByTestId("agent-status")).toHaveText("Active");
  await expect(row(names[1]).getByTestId("agent-status")).toHaveText("Active");
  await screenshot(page, "bulk-resume-outcome-phone");

  // Resumed: the key works again; what was cancelled stays cancelled.
  expect((await a.getRequest(pending[0].id)).status).toBe("cancelled");
});
