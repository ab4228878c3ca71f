import { agentApi, expect, signInWithForm, test, unique, waitForLiveQueue } from "./support/fixtures.ts";

const SCRIPT = "<script>window.__pwned=1</script>";
const IMG = '<img src=x onerror="window.__pwned=1">';

test("agent text is shown literally and never runs, on the queue and on the detail page", async ({ page, app }) => {
  const agent = agentApi(app.agents.ops.key);
  await signInWithForm(page, app.reviewer);
  await waitForLiveQueue(page);

  const marker = unique("xss");
  const summary = `${marker} ${SCRIPT} ${IMG}`;
  const created = await agent.createRequest({
    action: "infra.rotate_credentials",
    resource: `db:${IMG}`,
    params: { note: SCRIPT, html: IMG, nested: { [IMG]: [SCRIPT] } },
    summary,
    justification: `Because ${SCRIPT} and ${IMG}`,
    context: {
      task_id: SCRIPT,
      on_behalf_of: IMG,
      delegation_chain: [SCRIPT, IMG],
      environment: { name: IMG, shell: SCRIPT },
      labels: { [SCRIPT]: IMG },
      mcp: { server: "billing-tools", tool: IMG },
    },
  });

  const row = page.getByTestId("request-row").filter({ hasText: marker });
  await expect(row).toContainText(SCRIPT);
  await expect(row).toContainText(IMG);
  await expectNothingRan(page);

  await row.click();
  await expect(page).toHaveURL(new RegExp(`/requests/${created.id}$`));
  await expect(page.getByTestId("request-summary")).toHaveText(summary);
  await expect(page.getByTestId("justification")).toHaveText(`Because ${SCRIPT} and ${IMG}`);
  // JSON.stringify escapes the quotes inside the string values.
  await expect(page.getByTestId("params")).toContainText(`"note": ${JSON.stringify(SCRIPT)}`);
  await expect(page.getByTestId("params")).toContainText(`"html": ${JSON.stringify(IMG)}`);
  await expect(page.getByTestId("on-behalf-of")).toHaveText(IMG);
  await expect(page.getByRole("list", { name: "Delegation chain" })).toContainText(SCRIPT);
  await expect(page.getByText(`${SCRIPT}: ${IMG}`)).toBeVisible();
  await expect(page.getByTestId("mcp-tool")).toHaveText(`billing-tools${IMG}`);
  await expectNothingRan(page);
});

async function expectNothingRan(page: import("@playwright/test").Page) {
  expect(await page.evaluate(() => (window as unknown as { __pwned?: unknown }).__pwned)).toBeUndefined();
  await expect(page.locator('img[src="x"]')).toHaveCount(0);
  await expect(page.locator("script", { hasText: "__pwned" })).toHaveCount(0);
}
