import { passwordSignIn } from "../test/support/password-sign-in.ts";
import { expect, signInWithForm, test, unique } from "./support/fixtures.ts";

/**
 * `chat_approval: false` (decisions on the dashboard only, so Slack links
 * there instead of offering buttons) is a checkbox in the rule editor, and
 * saving another change in the editor keeps it.
 */
test("an admin marks a rule dashboard-only in the editor, and an edit keeps it", async ({ page, app }) => {
  const cookie = await passwordSignIn(app.url, app.admin);
  if (!cookie) throw new Error("admin sign-in failed");
  const api = async (path: string, init: { method?: string; json?: unknown } = {}) => {
    const res = await fetch(app.url + path, {
      method: init.method ?? "GET",
      headers: { cookie, origin: app.url, "content-type": "application/json" },
      body: init.json === undefined ? undefined : JSON.stringify(init.json),
    });
    if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return res.json();
  };
  const name = unique("db-drops").replace(" ", "-");
  const created = await api("/api/v1/admin/policies/rules", {
    method: "POST",
    json: { name, actions: [`db.drop_database_${name.replace(/[^a-z0-9]/g, "")}`], effect: "require_approval", chat_approval: false },
  });

  await signInWithForm(page, app.admin, `/admin/policies/${created.id}`);
  const box = page.getByLabel("Decide on the dashboard only");
  await expect(box).toBeChecked();
  if (process.env.SCREENSHOT_DIR) await page.screenshot({ path: `${process.env.SCREENSHOT_DIR}/rule-editor-desktop.png`, fullPage: true });
  await page.getByLabel("Description").fill("Dropping a database is decided on the dashboard only");
  await page.getByRole("button", { name: "Save new version" }).click();
  await expect(page.getByTestId("saved")).toHaveText("Saved as version 2.");
  expect((await api(`/api/v1/admin/policies/rules/${created.id}`)).definition).toMatchObject({ chat_approval: false });

  // Unticked, the next version leaves the field out: chat approvals are allowed again (the default).
  await box.uncheck();
  await page.getByRole("button", { name: "Save new version" }).click();
  await expect(page.getByTestId("saved")).toHaveText("Saved as version 3.");
  expect((await api(`/api/v1/admin/policies/rules/${created.id}`)).definition.chat_approval).toBeUndefined();

  await page.setViewportSize({ width: 390, height: 844 });
  await box.check();
  if (process.env.SCREENSHOT_DIR) await page.screenshot({ path: `${process.env.SCREENSHOT_DIR}/rule-editor-phone.png`, fullPage: true });
});
