import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeHub } from "../../lib/events/hub.ts";
import { createPending, expectProblem, expectValidationError, newAgent, newUser, reviewerFetch, signIn } from "../support/fixtures.ts";

// The list is one global setting: this suite's patterns live under its own
// action prefix, so requests of other suites never match them, and the list
// is put back as it was at the end.

const ns = `sev${randomBytes(3).toString("hex")}`;
let admin: string;
let reviewer: string;
let before: unknown;

const put = (cookie: string, body: unknown) => reviewerFetch(cookie, "/api/v1/admin/policies/action-severity", { method: "PUT", json: body });

beforeAll(async () => {
  admin = await signIn(await newUser("admin"));
  reviewer = await signIn(await newUser("reviewer"));
  before = (await (await reviewerFetch(admin, "/api/v1/admin/policies/action-severity")).json()).action_severity;
});
afterAll(async () => {
  await put(admin, { action_severity: before });
  await closeHub();
});

async function riskOf(action: string): Promise<{ score: number; flags: { code: string; severity: string; explanation: string }[] }> {
  const { id } = await createPending(await newAgent(), { action });
  const res = await reviewerFetch(reviewer, `/api/v1/review/requests/${id}`);
  expect(res.status).toBe(200);
  return (await res.json()).risk;
}

describe("action severity", () => {
  it("puts a floor under the risk score: critical ≥ 90, high ≥ 70; the most severe matching pattern wins", async () => {
    const saved = await put(admin, {
      action_severity: [
        { pattern: `${ns}.db.*`, severity: "medium" },
        { pattern: `${ns}.db.drop_*`, severity: "critical" },
        { pattern: `${ns}.payments.*`, severity: "high" },
      ],
    });
    expect(saved.status, await saved.clone().text()).toBe(200);
    expect((await saved.json()).action_severity).toHaveLength(3);

    const drop = await riskOf(`${ns}.db.drop_database`);
    expect(drop.score).toBeGreaterThanOrEqual(90);
    expect(drop.flags[0]).toEqual({
      code: "sensitive_action",
      severity: "critical",
      explanation: `An admin marked ${ns}.db.drop_* as critical, which covers ${ns}.db.drop_database`,
    });

    const refund = await riskOf(`${ns}.payments.refund`);
    expect(refund.score).toBeGreaterThanOrEqual(70);
    expect(refund.score).toBeLessThan(90);
    expect(refund.flags.map((f) => f.code)).toEqual(["sensitive_action", "first_action"]);

    const select = await riskOf(`${ns}.db.select`);
    expect(select.score).toBe(40);

    // No pattern covers it: history alone (a first action, medium: 25).
    const other = await riskOf(`${ns}.mail.send`);
    expect(other.score).toBe(25);
    expect(other.flags.map((f) => f.code)).toEqual(["first_action"]);
  });

  it("is in the exported policy file", async () => {
    await put(admin, { action_severity: [{ pattern: `${ns}.infra.*`, severity: "high" }] });
    const exported = await reviewerFetch(admin, "/api/v1/admin/policies");
    expect(exported.status).toBe(200);
    expect((await exported.json()).action_severity).toContainEqual({ pattern: `${ns}.infra.*`, severity: "high" });
  });

  it("refuses a bad severity, a bad or repeated pattern (422), a reviewer (403) and no session (401)", async () => {
    await expectValidationError(await put(admin, { action_severity: [{ pattern: "db.*", severity: "extreme" }] }), "action_severity.0.severity");
    await expectValidationError(await put(admin, { action_severity: [{ pattern: "DB Drop", severity: "high" }] }), "action_severity.0.pattern");
    await expectValidationError(
      await put(admin, {
        action_severity: [
          { pattern: "db.*", severity: "high" },
          { pattern: "db.*", severity: "low" },
        ],
      }),
      "action_severity.1.pattern",
    );
    await expectProblem(await put(reviewer, { action_severity: [] }), 403, "forbidden");
    await expectProblem(await reviewerFetch(reviewer, "/api/v1/admin/policies/action-severity"), 403, "forbidden");
    await expectProblem(await put("", { action_severity: [] }), 401, "unauthenticated");
  });
});
