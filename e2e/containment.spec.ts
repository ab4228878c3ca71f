import { agentApi, expect, refundRequest, signInWithForm, test, unique } from "./support/fixtures.ts";

test("an admin turns on automatic containment for a tag in the console; an agent with that tag is suspended when it crosses the rate, and an auditor only reads the rules", async ({
  page,
  browser,
  app,
}) => {
  await signInWithForm(page, app.admin, "/admin/agents");
  const card = page.getByTestId("containment-form");
  await expect(page.getByTestId("containment-status")).toHaveText("Off");

  // The rule: more than 3 requests in 60 s, for agents tagged with this test's tag only.
  const tag = unique("contain").replace(" ", "-");
  await card.getByLabel("Request rate").check();
  await card.getByLabel("Most requests").fill("3");
  await card.getByLabel("Request window in seconds").fill("60");
  await card.getByLabel("Agents with one of these names or tags").check();
  await card.getByLabel("Tags", { exact: true }).fill(tag);
  await card.getByRole("button", { name: "Save rules" }).click();
  await expect(page.getByTestId("containment-saved")).toContainText("Saved.");
  await expect(page.getByTestId("containment-status")).toHaveText("On");

  // An agent with that tag: its fourth request takes it over the limit.
  const name = unique("contained").replace(" ", "-");
  const created = await page.request.post("/api/v1/admin/agents", { data: { name, tags: [tag], owner: "owner@example.test" }, headers: { origin: app.url } });
  expect(created.status()).toBe(201);
  const agent = agentApi((await created.json()).key);
  for (let i = 0; i < 3; i++) expect((await agent.createRequest(refundRequest(unique("Refund")))).status).toBe("pending");
  const fourth = await agent.createRequest(refundRequest(unique("Refund")));
  expect(fourth.status).toBe("cancelled");
  expect(fourth.decision?.reason).toBe("agent suspended: automatic containment: 4 requests in 60 s, above the limit of 3");

  await page.reload();
  await expect(page.getByTestId("agent-row").filter({ hasText: name })).toContainText("Suspended");

  // An auditor sees the rules, and cannot change them.
  const auditorContext = await browser.newContext();
  const auditorPage = await auditorContext.newPage();
  await signInWithForm(auditorPage, app.auditor, "/admin/agents");
  await expect(auditorPage.getByTestId("containment-status")).toHaveText("On");
  await expect(auditorPage.getByTestId("containment-form").getByLabel("Request rate")).toBeDisabled();
  await expect(auditorPage.getByRole("button", { name: "Save rules" })).toHaveCount(0);
  await auditorContext.close();

  // Off again, for the specs after this one.
  await card.getByLabel("Request rate").uncheck();
  await card.getByRole("button", { name: "Save rules" }).click();
  await expect(page.getByTestId("containment-status")).toHaveText("Off");
});
