import { passwordSignIn } from "../test/support/password-sign-in.ts";
import { agentApi, expect, refundRequest, reviewerSession, signInWithForm, test, unique, waitForLiveQueue } from "./support/fixtures.ts";

const BUILTIN_DEFAULT = "Built-in: one approval by any reviewer";

/** The admin's JSON API session, for set-up the spec is not about. */
async function adminApi(url: string, admin: { email: string; password: string }) {
  const cookie = await passwordSignIn(url, admin);
  if (!cookie) throw new Error("admin sign-in failed");
  return async (path: string, json: unknown) => {
    const res = await fetch(url + path, { method: "POST", headers: { cookie, origin: url, "content-type": "application/json" }, body: JSON.stringify(json) });
    if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return res.json();
  };
}

test("an admin writes a rule for large refunds in the console, simulates and saves it; large refunds then need two reviewers, small ones do not", async ({
  page,
  app,
}) => {
  // This spec's own agent, so its rules touch nothing else.
  const post = await adminApi(app.url, app.admin);
  const agentName = unique("refunds").replace(" ", "-");
  const { key } = await post("/api/v1/admin/agents", { name: agentName, tags: ["finance"] });
  const agent = agentApi(key);

  await signInWithForm(page, app.admin, "/admin/policies");
  await expect(page.getByRole("heading", { name: "Policies", exact: true })).toBeVisible();
  await expect(page.getByTestId("default-sentence")).toHaveText("No rule matched → require approval by any reviewer, 1 approval, 15 min wait, 5 min grant");

  // The editor: a condition that does not check is refused with its column.
  await page.getByRole("link", { name: "New rule" }).click();
  const ruleName = unique("large-refunds").replace(" ", "-");
  await page.getByLabel("Name", { exact: true }).fill(ruleName);
  await page.getByLabel("Actions").fill("payments.refund");
  await page.getByLabel("Agent names").fill(agentName);
  await page.getByLabel("Condition").fill("params.amount >");
  await page.getByLabel("Approvals required").fill("2");
  await page.getByLabel("Place").selectOption("first");
  await page.getByRole("button", { name: "Save rule" }).click();
  await expect(page.getByTestId("error-condition")).toContainText(/at column \d+/);
  await expect(page).toHaveURL(/\/admin\/policies\/new$/);
  await page.getByLabel("Condition").fill("params.amount > 1000");

  // Simulate against a hand-written sample (and the recent requests).
  await page.getByLabel("Sample request (JSON)").fill(
    JSON.stringify({
      action: "payments.refund",
      resource: "customer:cus_123",
      params: { amount: 2500, currency: "USD" },
      agent: { name: agentName, tags: ["finance"] },
    }),
  );
  await page.getByRole("button", { name: "Simulate" }).click();
  const sampleRow = page.locator('[data-testid="simulation-row"][data-source="sample"]');
  await expect(sampleRow).toHaveAttribute("data-draft-matches", "true");
  await expect(sampleRow).toContainText(BUILTIN_DEFAULT);
  await expect(sampleRow).toContainText(ruleName);
  await expect(sampleRow).toContainText("draft matches");

  // Save: the list shows it first, with its effect and condition.
  await page.getByRole("button", { name: "Save rule" }).click();
  await expect(page).toHaveURL(/\/admin\/policies$/);
  const row = page.locator(`[data-testid="rule-row"][data-rule-name="${ruleName}"]`);
  await expect(row).toBeVisible();
  await expect(row.getByTestId("approval-summary")).toHaveText("2 approvals · any reviewer");
  await expect(row.getByTestId("rule-condition")).toHaveText("params.amount > 1000");
  await expect(page.getByTestId("rule-row").first()).toHaveAttribute("data-rule-name", ruleName);

  // Small refunds from this agent are routine: an allow rule after it.
  await post("/api/v1/admin/policies/rules", {
    name: `${ruleName}-small`,
    actions: ["payments.refund"],
    agents: { names: [agentName] },
    condition: "params.amount <= 100",
    effect: "allow",
  });

  // Above the threshold: pending, "0 of 2" in the queue, until two distinct reviewers approve.
  const summary = unique("Refund $2,500 for a duplicate charge");
  const large = (await agent.createRequest(refundRequest(summary, { params: { amount: 2500, currency: "USD" } }))) as unknown as {
    id: string;
    status: string;
    policy: { name: string; approvals_required: number };
  };
  expect(large).toMatchObject({ status: "pending", policy: { name: ruleName, approvals_required: 2 } });
  await page.goto("/");
  await waitForLiveQueue(page);
  const queued = page.getByTestId("request-row").filter({ hasText: summary });
  await expect(queued).toContainText("0 of 2");

  const first = await reviewerSession(app.reviewer);
  expect((await first.decide(large.id, "approve", "Duplicate charge confirmed")).status).toBe(200);
  expect((await agent.getRequest(large.id)).status).toBe("pending");
  await expect(queued).toContainText("1 of 2");
  const second = await reviewerSession(app.secondReviewer);
  expect((await second.decide(large.id, "approve", "Agreed")).status).toBe(200);
  expect((await agent.getRequest(large.id)).status).toBe("approved");
  await expect(queued).toHaveCount(0);

  // Below the threshold the rule does not match: 500 gets the default, 50 is allowed at once.
  const medium = (await agent.createRequest(refundRequest(unique("Refund $500")))) as unknown as { status: string; policy: { name: string } };
  expect(medium).toMatchObject({ status: "pending", policy: { name: BUILTIN_DEFAULT } });
  const small = (await agent.createRequest(refundRequest(unique("Refund $50"), { params: { amount: 50, currency: "USD" } }))) as unknown as {
    status: string;
    policy: { name: string };
  };
  expect(small).toMatchObject({ status: "approved", policy: { name: `${ruleName}-small` } });

  // The rule's page: version 1 by the admin; disabling it from the list takes it out of evaluation.
  await page.goto("/admin/policies");
  await row.getByRole("link", { name: ruleName }).click();
  await expect(page.getByTestId("current-version")).toHaveText("Version 1");
  await expect(page.getByTestId("version-author")).toHaveText(app.admin.email);
  // An edit is a new version; the history shows what changed.
  await page.getByLabel("Description").fill("Large refunds need a second pair of eyes");
  await page.getByRole("button", { name: "Save new version" }).click();
  await expect(page.getByTestId("saved")).toHaveText("Saved as version 2.");
  await expect(page.getByTestId("current-version")).toHaveText("Version 2");
  await expect(page.getByTestId("history-version")).toHaveCount(2);
  await expect(page.getByTestId("history-version").first()).toContainText("Large refunds need a second pair of eyes");
  await page.goto("/admin/policies");
  await page.getByRole("switch", { name: `Enabled: ${ruleName}`, exact: true }).click();
  await expect(row).toHaveAttribute("data-enabled", "false");
  const after = (await agent.createRequest(refundRequest(unique("Refund $2,600"), { params: { amount: 2600 } }))) as unknown as { policy: { name: string } };
  expect(after.policy.name).toBe(BUILTIN_DEFAULT);
});

test("an auditor sees the policy read-only", async ({ page, app }) => {
  await signInWithForm(page, app.auditor, "/admin/policies");
  await expect(page.getByTestId("read-only")).toBeVisible();
  await expect(page.getByTestId("default-rule")).toBeVisible();
  await expect(page.getByRole("link", { name: "New rule" })).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Edit default" })).toHaveCount(0);
  await expect(page.getByRole("button", { name: /^Move / })).toHaveCount(0);
  for (const s of await page.getByRole("switch").all()) await expect(s).toBeDisabled();
  await page.goto("/admin/policies/new");
  await expect(page).toHaveURL(/\/admin\/policies$/);
});

test("an admin dry-runs a policy file in the console, sees what it would change, and nothing changes", async ({ page, app }) => {
  await signInWithForm(page, app.admin, "/admin/policies");
  const name = `dry-run-${Date.now().toString(36)}`;
  await expect(page.getByTestId("default-rule")).toBeVisible();
  const rulesBefore = await page.getByTestId("rule-row").count();
  await page
    .getByLabel("Import a document (YAML or JSON)")
    .fill(`version: 1\nrules:\n  - name: ${name}\n    actions: ["db.*"]\n    effect: deny\n    reason: not from agents\n`);
  await expect(page.getByRole("button", { name: "Apply" })).toBeDisabled();
  await page.getByRole("button", { name: "Dry run" }).click();
  const report = page.getByTestId("import-report");
  await expect(report).toContainText("Would add");
  await expect(report).toContainText(name);
  await expect(page.getByRole("button", { name: "Apply" })).toBeEnabled();
  // Editing the document makes the dry run stale again.
  await page.getByLabel("Import a document (YAML or JSON)").press("End");
  await page.getByLabel("Import a document (YAML or JSON)").type(" ");
  await expect(page.getByRole("button", { name: "Apply" })).toBeDisabled();
  await page.reload();
  await expect(page.getByTestId("default-rule")).toBeVisible();
  await expect(page.getByTestId("rule-row")).toHaveCount(rulesBefore);
  await expect(page.getByText(name)).toHaveCount(0);
});
