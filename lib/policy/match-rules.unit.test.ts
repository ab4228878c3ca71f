import { describe, expect, it } from "vitest";
import { checkCondition } from "./cel.ts";
import { actionMatches, agentSelected, BUILTIN_DEFAULTS, compileRule, decide, type RuleSet } from "./match-rules.ts";
import { PolicyDocument, type PolicyRuleDefinition } from "./policy-document.ts";
import type { PolicyInput } from "./resolve-policy.ts";
import { parsePolicyDocument } from "./validate-policy.ts";

const agent = { id: "agt_1", name: "billing-agent", tags: ["finance"], trustLevel: "standard", ownerEmail: "owner@example.test" };
const input = (overrides: Partial<PolicyInput> = {}): PolicyInput => ({
  action: "payments.refund",
  resource: "customer:1",
  params: { amount: 500 },
  context: {},
  agent,
  ...overrides,
});

let n = 0;
function rules(...defs: (Partial<PolicyRuleDefinition> & { enabled?: boolean })[]): RuleSet {
  return {
    defaults: BUILTIN_DEFAULTS,
    rules: defs.map((d, i) => {
      const definition = { name: `r${i}`, actions: ["*"], effect: "allow", ...d } as PolicyRuleDefinition;
      return compileRule({ id: `pol_t${++n}`, name: definition.name, version: 1, position: i, enabled: d.enabled ?? true, definition });
    }),
  };
}
const now = new Date("2026-11-23T12:00:00Z");

describe("action patterns", () => {
  it("matches exact, prefix.* at any depth, and *", () => {
    expect(actionMatches("payments.refund", "payments.refund")).toBe(true);
    expect(actionMatches("payments.refund", "payments.refunds")).toBe(false);
    expect(actionMatches("payments.*", "payments.refund")).toBe(true);
    expect(actionMatches("payments.*", "payments.card.charge")).toBe(true);
    expect(actionMatches("payments.*", "payments")).toBe(false);
    expect(actionMatches("payments.*", "paymentsx.refund")).toBe(false);
    expect(actionMatches("*", "anything.at.all")).toBe(true);
  });
});

describe("agent selectors", () => {
  it("matches by name or tag; omitted selects everyone", () => {
    expect(agentSelected(undefined, agent)).toBe(true);
    expect(agentSelected({}, agent)).toBe(true);
    expect(agentSelected({ names: ["billing-agent"] }, agent)).toBe(true);
    expect(agentSelected({ tags: ["finance"] }, agent)).toBe(true);
    expect(agentSelected({ names: ["other"], tags: ["finance"] }, agent)).toBe(true);
    expect(agentSelected({ names: ["other"], tags: ["ops"] }, agent)).toBe(false);
  });
});

describe("precedence", () => {
  it("first matching rule wins; disabled rules are skipped", () => {
    const set = rules(
      { actions: ["github.*"], effect: "deny" },
      { effect: "deny", reason: "off", enabled: false },
      { actions: ["payments.*"], effect: "allow" },
      { effect: "deny" },
    );
    const p = decide(set, input(), now);
    expect(p).toMatchObject({ name: "r2", effect: "allow", version: 1, audience: "countersign", ownerMayDecide: false });
  });

  it("no match falls back to the default: one approval by anyone", () => {
    const p = decide(rules({ actions: ["github.merge"] }), input(), now);
    expect(p).toMatchObject({
      id: "pol_builtin_default",
      effect: "require_approval",
      approvalsRequired: 1,
      reviewerGroups: [],
      waitSeconds: 900,
      grantTtlSeconds: 300,
    });
  });

  it("the configured default and the document defaults fill a rule's omitted fields", () => {
    const set = rules({ effect: "require_approval", reviewers: { groups: ["finance"] }, reason_required_to_approve: true });
    set.defaults = { effect: "require_approval", approvals_required: 2, wait_seconds: 60, grant_ttl_seconds: 30 };
    expect(decide(set, input(), now)).toMatchObject({
      approvalsRequired: 2,
      waitSeconds: 60,
      grantTtlSeconds: 30,
      reviewerGroups: ["finance"],
      reasonRequiredToApprove: true,
    });
    expect(decide({ ...set, rules: [] }, input(), now)).toMatchObject({ approvalsRequired: 2, waitSeconds: 60, effect: "require_approval" });
  });

  it("a deny rule carries its reason", () => {
    expect(decide(rules({ effect: "deny", reason: "never" }), input(), now)).toMatchObject({ effect: "deny", denyReason: "never" });
  });
});

describe("CEL conditions", () => {
  it("route by params, context, agent and now", () => {
    const set = rules(
      { condition: "params.amount > 1000", effect: "deny" },
      { condition: "context.environment.name == 'production' && 'finance' in agent.tags" },
      { condition: "now > timestamp('2030-01-01T00:00:00Z')", effect: "deny" },
    );
    expect(decide(set, input({ params: { amount: 1500 } }), now).name).toBe("r0");
    expect(decide(set, input({ context: { environment: { name: "production" } } }), now).name).toBe("r1");
    expect(decide(set, input(), now).id).toBe("pol_builtin_default");
    expect(decide(set, input(), new Date("2031-01-01T00:00:00Z")).name).toBe("r2");
  });

  it("a condition failing at run time is no match for allow and a match for deny and require_approval", () => {
    const failing = "params.missing > 3";
    expect(decide(rules({ condition: failing, effect: "allow" }), input(), now).id).toBe("pol_builtin_default");
    expect(decide(rules({ condition: failing, effect: "deny" }), input(), now).effect).toBe("deny");
    expect(decide(rules({ condition: failing, effect: "require_approval", approvals_required: 3 }), input(), now)).toMatchObject({
      name: "r0",
      approvalsRequired: 3,
    });
  });

  it("type errors are caught when saved, with a column", () => {
    expect(checkCondition("params.amount > 1000")).toBeNull();
    expect(checkCondition("action.startsWith('payments.') && has(params.amount) && size(agent.tags) > 0")).toBeNull();
    expect(checkCondition("agent.tags.exists(t, t == 'finance') || resource == null")).toBeNull();
    expect(checkCondition("action > 5")).toMatchObject({ message: expect.stringMatching(/'>' cannot be applied to string and int at column 8/) });
    expect(checkCondition("action")?.message).toMatch(/must be true or false/);
    expect(checkCondition("amount > 5")?.message).toMatch(/undeclared reference to 'amount' .* at column 1/);
    expect(checkCondition("agent.team == 'x'")?.message).toMatch(/agent has no field 'team'/);
    expect(checkCondition("params.amount >")?.message).toMatch(/at column \d+/);
    expect(checkCondition("frobnicate(params)")?.message).toMatch(/unknown function 'frobnicate'/);
  });

  it("a document with a bad condition names the rule and field", () => {
    const doc = {
      version: 1,
      rules: [
        { name: "ok", actions: ["*"], effect: "allow" },
        { name: "bad", actions: ["*"], effect: "deny", condition: "action > 5" },
      ],
    };
    expect(() => parsePolicyDocument(doc)).toThrow(/rules\.1\.condition: rule bad: '>' cannot be applied to string and int at column 8/);
    expect(PolicyDocument.safeParse(doc).success).toBe(true);
  });

  it("compiles each rule version once", () => {
    const definition = { name: "c", actions: ["*"], effect: "allow", condition: "params.amount < 10" } as PolicyRuleDefinition;
    const a = compileRule({ id: "pol_same", name: "c", version: 1, position: 0, enabled: true, definition });
    const b = compileRule({ id: "pol_same", name: "c", version: 1, position: 0, enabled: true, definition });
    const c = compileRule({ id: "pol_same", name: "c", version: 2, position: 0, enabled: true, definition });
    expect(a.condition).toBe(b.condition);
    expect(c.condition).not.toBe(a.condition);
  });
});
