import type { Page } from "@playwright/test";
import { expect, test } from "./support/fixtures.ts";

test("signed-out visitors are sent to sign in, and come back where they were going", async ({ page, app }) => {
  await page.goto("/history");
  await expect(page).toHaveURL(/\/signin\?callbackUrl=%2Fhistory$/);
  await expect(page.getByRole("heading", { name: "Sign in to Countersign" })).toBeVisible();

  await page.getByLabel("Email").fill(app.reviewer.email);
  await page.getByLabel("Password").fill(app.reviewer.password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page).toHaveURL(/\/history$/);
  await expect(page.getByRole("heading", { name: "History" })).toBeVisible();

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/signin/);
  await expect(page.getByTestId("signed-in-as")).toHaveCount(0);
  await page.goto("/");
  await expect(page).toHaveURL(/\/signin/);
});

test("a wrong password says so, and repeated failures are rate limited", async ({ page, app }) => {
  const user = app.lockoutUser;
  await page.goto("/signin");
  await page.getByLabel("Email").fill(user.email);
  await submitPassword(page, "not-the-password");
  await expect(page.getByTestId("signin-error")).toHaveText("Wrong email or password.");
  await expect(page).toHaveURL(/\/signin/);

  // The test app allows 20 attempts per account per 15 minutes; use up the rest.
  for (let attempt = 2; attempt <= 20; attempt++) await submitPassword(page, "not-the-password");
  await expect(page.getByTestId("signin-error")).toHaveText("Wrong email or password.");

  // Now even the right password is refused, with a message that says why.
  await submitPassword(page, user.password);
  await expect(page.getByTestId("signin-error")).toHaveText("Too many sign-in attempts. Wait a few minutes, then try again.");
  await expect(page.getByTestId("signed-in-as")).toHaveCount(0);
});

/** Submits the form and waits for Auth.js's answer to that submission (the credentials callback). */
async function submitPassword(page: Page, password: string): Promise<void> {
  await page.getByLabel("Password").fill(password);
  await Promise.all([
    page.waitForResponse((res) => res.request().method() === "POST" && new URL(res.url()).pathname === "/api/auth/callback/credentials"),
    page.getByRole("button", { name: "Sign in", exact: true }).click(),
  ]);
}
