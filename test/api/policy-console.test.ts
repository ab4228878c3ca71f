import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeHub } from "../../lib/events/hub.ts";
import {
  baseUrl,
  createRequestRaw,
  expectProblem,
  newAgent,
  newUser,
  reviewerFetch,
  sampleRequest,
  signIn,
  unique,
  type TestAgent,
} from "../support/fixtures.ts";

// The console's policy endpoints, over HTTP with real sessions. Rules are
// global and other suites run alongside this one: every rule here selects
// only this file's agents by name, and the default is never changed.

let adminCookie: string;
let adminEmail: string;
let auditorCookie: string;
let reviewerCookie: string;

beforeAll(async () => {
  const [admin, auditor, reviewer] = await Promise.all([newUser("admin"), newUser("auditor"), newUser("reviewer")]);
  adminEmail = admin.email;
  [adminCookie, auditorCookie, reviewerCookie] = await Promise.all([signIn(admin), signIn(auditor), signIn(reviewer)]);
});
afterAll(async () => {
  await closeHub();
});

const api = (cookie: string, path: string, init: Parameters<typeof reviewerFetch>[2] = {}) => reviewerFetch(cookie, `/api/v1/admin/policies${path}`, init);
const asAdmin = (path: string, init: Parameters<typeof reviewerFetch>[2] = {}) => api(adminCookie, path, init);

const ruleFor = (agent: TestAgent, def: Record<string, unknown> = {}) => ({
  name: unique("console"),
  agents: { names: [agent.name] },
  actions: ["payments.refund"],
  effect: "require_approval",
  ...def,
});

async function createRule(definition: Record<string, unknown>, position?: number): Promise<any> {
  const res = await asAdmin(`/rules${position === undefined ? "" : `?position=${position}`}`, { method: "POST", json: definition });
  expect(res.status, await res.clone().text()).toBe(201);
  return res.json();
}

async function listRules(cookie = adminCookie): Promise<{ data: any[]; default: any }> {
  const res = await api(cookie, "/rules");
  expect(res.status).toBe(200);
  return res.json();
}

async function requestAs(agent: TestAgent, overrides: Record<string, unknown> = {}): Promise<any> {
  const res = await createRequestRaw(agent, sampleRequest(overrides));
  expect(res.status, await res.clone().text()).toBe(201);
  return res.json();
}

describe("policy console endpoints", () => {
  it("refuses a rule whose condition does not check, naming the condition and the column", async () => {
    const agent = await newAgent();
    const problem = await expectProblem(
      await asAdmin("/rules", { method: "POST", json: ruleFor(agent, { condition: "params.amount >" }) }),
      422,
      "validation_failed",
    );
    expect(problem.errors).toEqual([{ path: "condition", message: expect.stringMatching(/at column \d+/) }]);
    const typed = await expectProblem(await asAdmin("/rules", { method: "POST", json: ruleFor(agent, { condition: "action > 5" }) }), 422, "validation_failed");
    expect(typed.errors?.[0]).toMatchObject({ path: "condition", message: expect.stringMatching(/cannot be applied to string and int at column 8/) });
    const shape = await expectProblem(
      await asAdmin("/rules", { method: "POST", json: { ...ruleFor(agent), actions: [], effect: "sometimes" } }),
      422,
      "validation_failed",
    );
    expect(shape.errors?.map((e) => e.path).sort()).toEqual(["actions", "effect"]);
  });

  it("an edit is a new version; the history lists both with who saved them", async () => {
    const agent = await newAgent();
    const created = await createRule(ruleFor(agent, { condition: "params.amount > 1000", approvals_required: 2 }));
    expect(created).toMatchObject({
      version: 1,
      enabled: true,
      updated_by: adminEmail,
      definition: { condition: "params.amount > 1000", approvals_required: 2 },
    });

    const res = await asAdmin(`/rules/${created.id}`, { method: "PUT", json: { ...created.definition, condition: "params.amount > 5000" } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id: created.id, version: 2, definition: { condition: "params.amount > 5000" } });
    // Saving the same definition again changes nothing.
    expect(
      await (await asAdmin(`/rules/${created.id}`, { method: "PUT", json: { ...created.definition, condition: "params.amount > 5000" } })).json(),
    ).toMatchObject({ version: 2 });

    const history = await (await api(auditorCookie, `/rules/${created.id}/history`)).json();
    expect(history.data).toEqual([
      { version: 2, created_by: adminEmail, created_at: expect.any(String), definition: expect.objectContaining({ condition: "params.amount > 5000" }) },
      { version: 1, created_by: adminEmail, created_at: expect.any(String), definition: expect.objectContaining({ condition: "params.amount > 1000" }) },
    ]);
    await expectProblem(await asAdmin("/rules/pol_nope/history"), 404, "not_found");
    await expectProblem(await asAdmin("/rules/pol_nope", { method: "PUT", json: created.definition }), 404, "not_found");
  });

  it("moves a rule in the evaluation order", async () => {
    const agent = await newAgent();
    const a = await createRule(ruleFor(agent), 0);
    const b = await createRule(ruleFor(agent), 0);
    const order = (rules: any[]) => rules.filter((r) => r.id === a.id || r.id === b.id).map((r) => r.id);
    expect(order((await listRules()).data)).toEqual([b.id, a.id]);

    const moved = await asAdmin(`/rules/${b.id}/move`, { method: "POST", json: { direction: "down" } });
    expect(moved.status).toBe(200);
    expect(order((await moved.json()).data)).toEqual([a.id, b.id]);

    const { data } = await listRules();
    const at = data.find((r) => r.id === a.id).position;
    await asAdmin(`/rules/${b.id}/move`, { method: "POST", json: { position: at } });
    expect(order((await listRules()).data)).toEqual([b.id, a.id]);
    await expectProblem(await asAdmin(`/rules/${b.id}/move`, { method: "POST", json: { direction: "sideways" } }), 422, "validation_failed");
  });

  it("a disabled rule no longer matches; enabling it again does", async () => {
    const agent = await newAgent();
    const rule = await createRule(ruleFor(agent, { effect: "allow" }), 0);
    expect(await requestAs(agent)).toMatchObject({ status: "approved", policy: { id: rule.id, name: rule.name } });

    const off = await asAdmin(`/rules/${rule.id}/disable`, { method: "POST" });
    expect(await off.json()).toMatchObject({ enabled: false, version: 1 });
    const pending = await requestAs(agent);
    expect(pending.status).toBe("pending");
    expect(pending.policy.name).not.toBe(rule.name);

    await asAdmin(`/rules/${rule.id}/enable`, { method: "POST" });
    expect((await requestAs(agent)).policy.name).toBe(rule.name);

    const del = await asAdmin(`/rules/${rule.id}`, { method: "DELETE" });
    expect(del.status).toBe(204);
    expect((await listRules()).data.some((r) => r.id === rule.id)).toBe(false);
    expect((await requestAs(agent)).policy.name).not.toBe(rule.name);
  });

  it("simulates a draft against a sample and recent requests without saving it", async () => {
    const agent = await newAgent();
    await requestAs(agent, { params: { amount: 5000 } });
    const draft = ruleFor(agent, { condition: "params.amount > 1000", approvals_required: 2 });
    const res = await asAdmin("/simulate", {
      method: "POST",
      json: {
        rule: draft,
        position: 0,
        sample: { action: "payments.refund", params: { amount: 2500 }, agent: { name: agent.name, tags: ["finance"] } },
        last_n: 50,
      },
    });
    expect(res.status).toBe(200);
    const { data } = await res.json();
    expect(data[0]).toMatchObject({ source: "sample", draft_matches: true, with_draft: { rule_name: draft.name, effect: "require_approval" } });
    expect(data.some((r: any) => r.source !== "sample" && r.agent_name === agent.name && r.draft_matches)).toBe(true);
    expect((await listRules()).data.some((r) => r.name === draft.name)).toBe(false);

    const below = await (
      await asAdmin("/simulate", {
        method: "POST",
        json: { rule: draft, sample: { action: "payments.refund", params: { amount: 10 }, agent: { name: agent.name } } },
      })
    ).json();
    expect(below.data).toEqual([expect.objectContaining({ source: "sample", draft_matches: false })]);

    const bad = await expectProblem(
      await asAdmin("/simulate", { method: "POST", json: { rule: { ...draft, condition: "params.amount >" }, sample: { action: "x" } } }),
      422,
      "validation_failed",
    );
    expect(bad.errors?.[0]).toMatchObject({ path: "rule.condition", message: expect.stringMatching(/at column \d+/) });
  });

  it("the default: auditors read it, admins set it (here to what it already is)", async () => {
    const current = await (await api(auditorCookie, "/default")).json();
    expect(current).toMatchObject({ effect: "require_approval", approvals_required: expect.any(Number) });
    const same = await asAdmin("/default", { method: "PUT", json: current });
    expect(same.status).toBe(200);
    expect(await same.json()).toEqual(current);
    await expectProblem(await asAdmin("/default", { method: "PUT", json: { ...current, effect: "allow" } }), 422, "validation_failed");
    expect((await listRules(auditorCookie)).default).toEqual(current);
  });

  it("reviewers are refused everything; auditors read but cannot change; cross-site writes are refused", async () => {
    const agent = await newAgent();
    const rule = await createRule(ruleFor(agent));
    for (const path of ["/rules", `/rules/${rule.id}`, `/rules/${rule.id}/history`, "/default"]) {
      await expectProblem(await api(reviewerCookie, path), 403, "forbidden");
      expect((await api(auditorCookie, path)).status).toBe(200);
    }
    const writes: [string, string, unknown][] = [
      ["POST", "/rules", ruleFor(agent)],
      ["PUT", `/rules/${rule.id}`, rule.definition],
      ["DELETE", `/rules/${rule.id}`, undefined],
      ["POST", `/rules/${rule.id}/disable`, undefined],
      ["POST", `/rules/${rule.id}/move`, { direction: "up" }],
      ["PUT", "/default", { approvals_required: 1 }],
      ["POST", "/simulate", { rule: ruleFor(agent), sample: { action: "payments.refund" } }],
    ];
    for (const [method, path, json] of writes) {
      await expectProblem(await api(reviewerCookie, path, { method, json }), 403, "forbidden");
      await expectProblem(await api(auditorCookie, path, { method, json }), 403, "forbidden");
    }
    await expectProblem(await asAdmin("/rules", { method: "POST", json: ruleFor(agent), origin: "https://evil.example" }), 403, "forbidden");
    await expectProblem(await asAdmin(`/rules/${rule.id}/disable`, { method: "POST", origin: null }), 403, "forbidden");
    await expectProblem(await fetch(`${baseUrl()}/api/v1/admin/policies/rules`), 401, "unauthenticated");
    // Nothing above changed the rule.
    expect((await listRules()).data.find((r) => r.id === rule.id)).toMatchObject({ enabled: true, version: 1 });
  });
});
