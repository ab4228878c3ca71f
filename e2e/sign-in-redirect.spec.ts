import { expect, test } from "./support/fixtures.ts";

// Browsers drop tabs and newlines inside URLs and read `\` as `/`: each of these once meant `//evil.example`.
for (const callbackUrl of ["/%09/evil.example", "/%5C/evil.example", "/%0d%0a/evil.example"]) {
  test(`signing in from /signin?callbackUrl=${callbackUrl} lands on this site's queue`, async ({ page, app }) => {
    const origin = new URL(app.url).origin;
    const elsewhere: string[] = [];
    // Nothing may leave this origin; record it if anything tries.
    await page.route(
      (url) => url.origin !== origin,
      (route) => {
        elsewhere.push(route.request().url());
        return route.abort();
      },
    );
    await page.goto(`/signin?callbackUrl=${callbackUrl}`);
    await page.getByLabel("Email").fill(app.reviewer.email);
    await page.getByLabel("Password").fill(app.reviewer.password);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await expect(page.getByTestId("signed-in-as")).toHaveText(app.reviewer.email);
    expect(new URL(page.url())).toMatchObject({ origin, pathname: "/" });

    // Already signed in, the same link sends the reviewer to the queue too.
    await page.goto(`/signin?callbackUrl=${callbackUrl}`);
    await expect(page.getByTestId("signed-in-as")).toHaveText(app.reviewer.email);
    expect(new URL(page.url())).toMatchObject({ origin, pathname: "/" });
    expect(elsewhere).toEqual([]);
  });
}
