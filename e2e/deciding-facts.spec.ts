import { randomBytes } from "node:crypto";
import { passwordSignIn } from "../test/support/password-sign-in.ts";
import { agentApi, expect, refundRequest, reviewerSession, signInWithForm, test, unique } from "./support/fixtures.ts";

// The request page gives the facts to decide on: params by type, what changed since the
// last approval, a second step for high-risk requests, expiry as it happens, and a
// reason kept when someone else decides first.

test("params read by type, and the diff against the agent's last approved request for the action", async ({ page, app }) => {
  const action = `facts${randomBytes(3).toString("hex")}.refund`;
  const agent = agentApi(app.agents.billing.key);
  const first = await agent.createRequest(
    refundRequest(unique("Refund a duplicate charge"), {
      action,
      params: { amount: 500, currency: "usd", notify: "alice@example.com", note: "line one\nline two" },
    }),
  );
  const colleague = await reviewerSession(app.secondReviewer);
  expect((await colleague.decide(first.id, "approve", "duplicate charge confirmed")).status).toBe(200);
  const second = await agent.createRequest(
    refundRequest(unique("Refund $5 to customer"), {
      action,
      params: { amount: 5000, currency: "usd", notify: "alice@examp1e.com", note: "line one\nline two" },
    }),
  );

  await signInWithForm(page, app.reviewer, `/requests/${second.id}`);
  const readable = page.getByTestId("params-readable");
  await expect(readable.getByTestId("readable-money")).toHaveText(/^USD\s5,000\.00$/);
  await expect(readable.locator('[data-kind="email"]')).toContainText("examp1e.com");
  await expect(readable.getByTestId("readable-multiline")).toContainText("2 lines");

  const previous = page.getByTestId("previous-approval");
  await expect(previous).toHaveAttribute("data-state", "changed");
  await expect(previous).toContainText(first.id);
  const changes = previous.getByTestId("amend-change");
  await expect(changes).toHaveCount(2);
  await expect(changes.filter({ hasText: "amount" })).toContainText("500→5000");
  await expect(changes.filter({ hasText: "notify" })).toContainText('"alice@example.com"→"alice@examp1e.com"');

  // The first request of the action has nothing to compare with, and says so.
  await page.goto(`/requests/${first.id}`);
  await expect(page.getByTestId("previous-approval")).toHaveAttribute("data-state", "none");
});

test("approving a critical-risk request takes typing its action; a high-risk one in a batch takes a tick", async ({ page, app }) => {
  const ns = `crit${randomBytes(3).toString("hex")}`;
  const url = app.url;
  const cookie = await passwordSignIn(url, app.admin);
  const severity = (body?: unknown) =>
    fetch(`${url}/api/v1/admin/policies/action-severity`, {
      method: body ? "PUT" : "GET",
      headers: { cookie: cookie!, origin: url, ...(body ? { "content-type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
  const before = (await (await severity()).json()).action_severity as unknown[];
  expect((await severity({ action_severity: [...before, { pattern: `${ns}.db.drop_*`, severity: "critical" }] })).status).toBe(200);
  try {
    const action = `${ns}.db.drop_database`;
    const created = await agentApi(app.agents.ops.key).createRequest(
      refundRequest(unique("Drop the staging database"), { action, params: { database: "staging" } }),
    );

    await signInWithForm(page, app.reviewer, `/requests/${created.id}`);
    await page.getByRole("button", { name: "Approve", exact: true }).click();
    const check = page.getByTestId("risk-confirm");
    await expect(check).toContainText("Critical risk (score");
    await expect(page.getByTestId("risk-confirm-input")).toBeFocused();
    const anyway = page.getByTestId("risk-confirm-approve");
    await expect(anyway).toBeDisabled();
    await page.getByTestId("risk-confirm-input").fill("db.drop_database");
    await expect(anyway).toBeDisabled();
    // The form's own Approve button does not get around the check.
    await page.getByRole("button", { name: "Approve", exact: true }).click();
    await expect(page.getByTestId("request-detail")).toHaveAttribute("data-status", "pending");
    await page.getByTestId("risk-confirm-input").fill(action);
    await anyway.click();
    await expect(page.getByTestId("request-detail")).toHaveAttribute("data-status", "approved");

    // By keyboard (`a`), the confirmation dialog needs the high-risk box ticked.
    const another = await agentApi(app.agents.ops.key).createRequest(
      refundRequest(unique("Drop the preview database"), { action, params: { database: "preview" } }),
    );
    await page.goto(`/requests/${another.id}`);
    await expect(page.getByTestId("request-detail")).toHaveAttribute("data-status", "pending");
    await page.keyboard.press("a");
    const dialog = page.getByTestId("decision-confirm");
    await expect(dialog.getByTestId("risk-score")).toHaveAttribute("data-band", "critical");
    await dialog.getByRole("button", { name: "Approve 1" }).click();
    await expect(dialog.getByTestId("confirm-error")).toContainText("high-risk request");
    await dialog.getByTestId("risk-ack").getByRole("checkbox").check();
    await dialog.getByRole("button", { name: "Approve 1" }).click();
    await expect(page.getByTestId("request-detail")).toHaveAttribute("data-status", "approved");
  } finally {
    await severity({ action_severity: before });
  }
});

test("a request shows as expired the moment it expires: no buttons, the reason kept, no silent 409", async ({ page, app }) => {
  const decisions: number[] = [];
  page.on("response", (r) => r.url().includes("/decisions") && decisions.push(r.status()));
  await signInWithForm(page, app.reviewer);
  // Created once signed in, so the page opens well before it expires even on a loaded machine.
  const created = await agentApi(app.agents.billing.key).createRequest(refundRequest(unique("Refund before the window closes"), { expires_in: 12 }));
  await page.goto(`/requests/${created.id}`);
  await expect(page.getByTestId("request-detail")).toHaveAttribute("data-status", "pending");
  await page.getByLabel(/^Reason/).fill("Checked the ledger, half done");

  // No waiting of our own: the page flips by itself when the clock passes expires_at.
  await expect(page.getByTestId("request-detail")).toHaveAttribute("data-status", "expired", { timeout: 25_000 });
  await expect(page.getByTestId("status-badge")).toHaveText(["Expired", "Expired"]);
  await expect(page.getByRole("button", { name: "Approve", exact: true })).toHaveCount(0);
  await expect(page.getByTestId("kept-reason")).toContainText("expired while you were writing");
  await expect(page.getByTestId("kept-reason-text")).toHaveValue("Checked the ledger, half done");
  expect(decisions).toEqual([]);
  // And the server agrees.
  expect((await agentApi(app.agents.billing.key).getRequest(created.id)).status).toBe("expired");
});

test("another reviewer decides while you write: who decided is said, and your text is kept", async ({ page, app }) => {
  const created = await agentApi(app.agents.billing.key).createRequest(refundRequest(unique("Refund a late delivery fee")));
  await signInWithForm(page, app.reviewer, `/requests/${created.id}`);
  await expect(page.getByTestId("live-indicator")).toHaveAttribute("data-state", "live");
  await page.getByLabel(/^Reason/).fill("The carrier confirmed the delay, so");

  const colleague = await reviewerSession(app.secondReviewer);
  expect((await colleague.decide(created.id, "deny", "Refunded already by support")).status).toBe(200);

  await expect(page.getByTestId("request-detail")).toHaveAttribute("data-status", "denied");
  const kept = page.getByTestId("kept-reason");
  await expect(kept).toContainText("Sam Second denied it while you were writing.");
  await expect(page.getByTestId("kept-reason-text")).toHaveValue("The carrier confirmed the delay, so");
  await kept.getByRole("button", { name: "Discard" }).click();
  await expect(page.getByTestId("kept-reason")).toHaveCount(0);
});
