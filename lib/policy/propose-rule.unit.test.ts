import { describe, expect, it } from "vitest";
import { compileCondition, conditionBindings } from "./cel.ts";
import { MAX_LISTED_STRINGS, paramRef, proposeRule, type ProposeRuleInput } from "./propose-rule.ts";
import { parseRuleDefinition } from "./validate-policy.ts";

const request = (o: Partial<ProposeRuleInput["request"]> = {}): ProposeRuleInput["request"] => ({
  id: "req_1",
  action: "payments.refund",
  agentName: "billing-agent",
  status: "approved",
  decisionBy: "user:usr_1",
  decisionReason: "duplicate charge",
  params: { amount: 500, currency: "USD" },
  ...o,
});
const propose = (o: Partial<ProposeRuleInput["request"]> = {}, similar: Record<string, unknown>[] = [], taken: string[] = []) =>
  proposeRule({ request: request(o), similar, takenNames: new Set(taken) });

/** Runs the proposed condition over params as the engine would. */
function holds(condition: string, params: Record<string, unknown>): boolean {
  const result = compileCondition(condition)(
    conditionBindings({
      action: "payments.refund",
      resource: null,
      params,
      context: {},
      agent: { id: "agt_1", name: "billing-agent", tags: [], trust_level: "standard", owner: null },
      now: new Date(),
      risk: null,
    }),
  );
  return result.ok && result.value;
}

describe("proposeRule", () => {
  it("allows what people approved for this agent and action, bounded by the params seen, in shadow mode", () => {
    const p = propose({}, [
      { amount: 1200, currency: "EUR" },
      { amount: 80, currency: "USD" },
    ]);
    expect(p.rule).toMatchObject({
      name: "allow-billing-agent-payments-refund",
      mode: "shadow",
      effect: "allow",
      actions: ["payments.refund"],
      agents: { names: ["billing-agent"] },
    });
    expect(p.bounds.map((b) => b.condition)).toEqual(["params.amount >= 0 && params.amount <= 1200", 'params.currency in ["EUR", "USD"]']);
    expect(p.based_on).toBe(3);
    // A rule the API would save as it is.
    expect(parseRuleDefinition(p.rule)).toEqual(p.rule);
    const c = p.rule.condition!;
    expect(holds(c, { amount: 1200, currency: "EUR" })).toBe(true);
    expect(holds(c, { amount: 0, currency: "USD" })).toBe(true);
    expect(holds(c, { amount: 1201, currency: "USD" })).toBe(false);
    expect(holds(c, { amount: -5, currency: "USD" })).toBe(false);
    expect(holds(c, { amount: 100, currency: "GBP" })).toBe(false);
    // An extra param, or a missing one, never passes (a missing one errors, which never allows).
    expect(holds(c, { amount: 100, currency: "USD", to: "attacker" })).toBe(false);
    expect(holds(c, { currency: "USD" })).toBe(false);
  });

  it("refuses a blanket allow: no params, or none it can bound", () => {
    expect(() => propose({ params: {} })).toThrow(/no params to bound/);
    expect(() => propose({ params: { items: [1, 2] } })).toThrow(/can bound .*\(items\)/);
  });

  it("leaves out what it cannot bound, and says so", () => {
    const many = Array.from({ length: MAX_LISTED_STRINGS + 1 }, (_, i) => ({ amount: 10, customer: `cus_${i}` }));
    const p = propose({ params: { amount: 10, customer: "cus_x", meta: { a: 1 } } }, many);
    expect(p.bounds.map((b) => b.param)).toEqual(["amount"]);
    expect(p.unbounded).toEqual(["customer", "meta"]);
    expect(holds(p.rule.condition!, { amount: 10, customer: "anyone", meta: {} })).toBe(true);
  });

  it("denies from a denial: the smallest denied amount and above, with the reviewer's reason", () => {
    const p = propose({ status: "denied", decisionReason: "too large", params: { amount: 9000, currency: "USD" } });
    expect(p.rule).toMatchObject({ effect: "deny", mode: "shadow", reason: "too large", name: "deny-billing-agent-payments-refund" });
    expect(holds(p.rule.condition!, { amount: 20000, currency: "USD" })).toBe(true);
    expect(holds(p.rule.condition!, { amount: 100, currency: "USD" })).toBe(false);
    // A denial with nothing to bound is still a rule (a deny fails closed).
    expect(propose({ status: "denied", params: {} }).rule.condition).toBeUndefined();
  });

  it("only from a request people decided", () => {
    expect(() => propose({ status: "pending", decisionBy: null })).toThrow(/approved or denied/);
    expect(() => propose({ status: "expired", decisionBy: "system" })).toThrow(/approved or denied/);
    expect(() => propose({ decisionBy: "policy:pol_1" })).toThrow(/decided by policy/);
  });

  it("quotes names and values so they stay inert", () => {
    const p = propose({ params: { in: true, "weird-name": 'a"b\\c\n', big: 1e22 } });
    expect(paramRef("in")).toBe('params["in"]');
    expect(p.bounds.map((b) => b.condition)).toEqual([
      "params.big >= 0 && params.big <= 1e+22",
      'params["in"] == true',
      'params["weird-name"] == "a\\"b\\\\c\\n"',
    ]);
    expect(holds(p.rule.condition!, { in: true, "weird-name": 'a"b\\c\n', big: 1e22 })).toBe(true);
    expect(holds(p.rule.condition!, { in: true, "weird-name": "a", big: 1 })).toBe(false);
  });

  it("takes a free name", () => {
    expect(propose({}, [], ["allow-billing-agent-payments-refund", "allow-billing-agent-payments-refund-2"]).rule.name).toBe(
      "allow-billing-agent-payments-refund-3",
    );
  });
});
