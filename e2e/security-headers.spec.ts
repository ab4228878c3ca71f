import { expect, signInWithForm, test } from "./support/fixtures.ts";

function expectFramingForbidden(headers: Record<string, string>) {
  expect(headers["x-frame-options"]).toBe("DENY");
  expect(headers["content-security-policy"]).toContain("frame-ancestors 'none'");
}

test("the sign-in page and the dashboard cannot be framed", async ({ page, app }) => {
  const signin = await page.goto("/signin");
  expect(signin?.status()).toBe(200);
  expectFramingForbidden(signin!.headers());

  await signInWithForm(page, app.reviewer);
  const queue = await page.reload();
  expect(queue?.status()).toBe(200);
  expectFramingForbidden(queue!.headers());
});
