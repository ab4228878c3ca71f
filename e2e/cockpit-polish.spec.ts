import { passwordSignIn } from "../test/support/password-sign-in.ts";
import { agentApi, expect, reviewerSession, signInWithForm, test, unique } from "./support/fixtures.ts";

const SHOTS = process.env.COUNTERSIGN_SCREENSHOTS;

/** The admin's API session, to invite people as the console does. */
async function inviteReviewer(url: string, admin: { email: string; password: string }, email: string): Promise<string> {
  const cookie = await passwordSignIn(url, admin);
  if (!cookie) throw new Error("admin sign-in failed");
  const res = await fetch(`${url}/api/v1/admin/users`, {
    method: "POST",
    headers: { cookie, origin: url, "content-type": "application/json" },
    body: JSON.stringify({ email, role: "reviewer", name: "Ivy Invited" }),
  });
  if (res.status !== 201) throw new Error(`invite failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { password: string }).password;
}

test("an invited reviewer must choose their own password at first sign-in", async ({ page, app }) => {
  const email = `${unique("invited").replace(" ", "-")}@example.test`;
  const oneTime = await inviteReviewer(app.url, app.admin, email);

  await page.goto("/history");
  await expect(page).toHaveURL(/\/signin/);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(oneTime);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();

  // Wherever they were going, they land on the password page, with no way around it.
  await expect(page).toHaveURL(/\/settings\/password$/);
  await expect(page.getByRole("heading", { name: "Choose your password" })).toBeVisible();
  await expect(page.getByTestId("one-time-password")).toBeVisible();
  await expect(page.getByRole("link", { name: "History" })).toHaveCount(0);
  await page.goto("/");
  await expect(page).toHaveURL(/\/settings\/password$/);
  if (SHOTS) await page.screenshot({ path: `${SHOTS}/password-desktop.png`, fullPage: true });

  // Two different new passwords are caught before the server is asked.
  await page.getByLabel("One-time password").fill(oneTime);
  await page.getByLabel("New password", { exact: true }).fill("my own good password");
  await page.getByLabel("New password, again").fill("my own good passw0rd");
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page.getByTestId("password-error")).toContainText("differ");

  await page.getByLabel("New password, again").fill("my own good password");
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page.getByTestId("password-changed")).toBeVisible();
  await page.getByRole("link", { name: "Continue to the queue" }).click();
  await expect(page.getByTestId("signed-in-as")).toHaveText(email);
  await page.goto("/history");
  await expect(page).toHaveURL(/\/history$/);

  // The new password is the one that signs in now.
  expect(await passwordSignIn(app.url, { email, password: oneTime })).toBeNull();
  expect(await passwordSignIn(app.url, { email, password: "my own good password" })).not.toBeNull();
});

test("history shows who decided, why, the outcome and amendments, filtered by agent and day in the URL", async ({ page, app }) => {
  const summary = unique("History columns: refund");
  const agent = agentApi(app.agents.ops.key);
  const created = await agent.createRequest({ action: "payments.refund", params: { amount: 12 }, summary });
  const second = await reviewerSession(app.secondReviewer);
  const res = await second.decide(created.id, "deny", "no ticket matches this refund");
  expect(res.status).toBe(200);

  await signInWithForm(page, app.reviewer);
  const today = new Date().toISOString().slice(0, 10);
  await page.goto(`/history?agent=${app.agents.ops.name}&from=${today}&to=${today}`);
  await expect(page.getByLabel("Agent")).toHaveValue(app.agents.ops.name);
  await expect(page.locator("#history-from")).toHaveValue(today);
  const row = page.getByTestId("request-row").filter({ hasText: summary });
  await expect(row).toBeVisible();
  await expect(row.getByTestId("history-decided-by")).toContainText("Sam Second");
  await expect(row.getByTestId("history-decided-by")).toContainText(app.secondReviewer.email);
  await expect(row.getByTestId("history-reason")).toHaveText("no ticket matches this refund");
  await expect(row.getByTestId("history-amended")).toHaveText("No");
  await expect(row.getByTestId("history-outcome")).toHaveText("—");
  await expect(page.getByRole("columnheader", { name: "Decided by" })).toBeVisible();
  if (SHOTS) await page.screenshot({ path: `${SHOTS}/history-desktop.png`, fullPage: true });

  // Another agent's name: the row goes, and the URL says why.
  await page.getByLabel("Agent").fill(app.agents.billing.name);
  await expect(page).toHaveURL(new RegExp(`agent=${app.agents.billing.name}`));
  await expect(page.getByTestId("request-row").filter({ hasText: summary })).toHaveCount(0);
});

test("an unknown address shows the styled not-found page with a way back", async ({ page, app }) => {
  await signInWithForm(page, app.reviewer);
  const res = await page.goto("/no-such-page-here");
  expect(res?.status()).toBe(404);
  await expect(page.getByTestId("status-page")).toContainText("This page does not exist");
  await expect(page).toHaveTitle("Not found · Countersign");
  await page.getByRole("link", { name: "Go to the queue" }).click();
  await expect(page).toHaveURL(/\/$/);
});

test("dark mode follows the system: dark page, light text", async ({ page, app }) => {
  await page.emulateMedia({ colorScheme: "dark" });
  await signInWithForm(page, app.reviewer);
  const luminance = (rgb: string) => {
    const [r, g, b] = (rgb.match(/[\d.]+/g) ?? []).map(Number);
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  // Chromium reports oklch() colours as written; read them through a canvas, which yields sRGB bytes.
  const srgb = (selector: string, prop: "backgroundColor" | "color") =>
    page.evaluate(
      ([sel, p]) => {
        const el = document.querySelector(sel) as HTMLElement;
        const ctx = document.createElement("canvas").getContext("2d")!;
        ctx.fillStyle = getComputedStyle(el)[p as "color"];
        ctx.fillRect(0, 0, 1, 1);
        const [r, g, b] = ctx.getImageData(0, 0, 1, 1).data;
        return `rgb(${r}, ${g}, ${b})`;
      },
      [selector, prop] as const,
    );
  expect(luminance(await srgb("body", "backgroundColor"))).toBeLessThan(40);
  expect(luminance(await srgb("body", "color"))).toBeGreaterThan(200);
  if (SHOTS) await page.screenshot({ path: `${SHOTS}/queue-dark-desktop.png`, fullPage: true });

  await page.emulateMedia({ colorScheme: "light" });
  expect(luminance(await srgb("body", "backgroundColor"))).toBeGreaterThan(240);
});

test("on a phone the request page keeps Approve and Deny in a bar at the bottom, and the tab names the request", async ({ page, app }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  const summary = unique("Phone bar: rotate a credential");
  const created = await agentApi(app.agents.ops.key).createRequest({ action: "infra.rotate_credentials", params: { key: "db" }, summary });
  await signInWithForm(page, app.reviewer);
  await page.goto(`/requests/${created.id}`);
  await expect(page.getByTestId("request-summary")).toContainText("Phone bar");
  await expect(page).toHaveTitle(`infra.rotate_credentials · ${created.id} · Countersign`);
  const bar = page.getByTestId("decision-bar");
  const box = await bar.boundingBox();
  expect(box).not.toBeNull();
  // Fixed to the bottom of the screen even before scrolling down to the form.
  expect(box!.y + box!.height).toBeGreaterThan(844 - 4);
  expect(box!.y + box!.height).toBeLessThanOrEqual(844 + 1);
  if (SHOTS) await page.screenshot({ path: `${SHOTS}/request-phone.png` });
  // Denying without a reason brings the reason field into view instead.
  await bar.getByRole("button", { name: "Deny" }).click();
  await expect(page.getByLabel("Reason")).toBeFocused();
  await expect(page.getByTestId("decision-error").first()).toContainText("reason is required");
});
