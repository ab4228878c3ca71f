import { expect, signInWithForm, test } from "./support/fixtures.ts";

test("the dashboard's Sign out ends the session on the server: a copy of the old cookie no longer works", async ({ page, context, app }) => {
  await signInWithForm(page, app.secondReviewer);
  const session = (await context.cookies()).find((c) => c.name === "authjs.session-token");
  expect(session).toBeDefined();
  const asOldCookie = () => fetch(`${app.url}/api/v1/review/requests`, { headers: { cookie: `${session!.name}=${session!.value}` } });
  expect((await asOldCookie()).status).toBe(200);

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/signin/);
  expect((await asOldCookie()).status).toBe(401);
});
