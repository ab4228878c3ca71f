import { describe, expect, it } from "vitest";
import { BUILTIN_DEFAULTS, compileRule, decide, type RuleSet, withShadowIndex } from "./match-rules.ts";
import type { PolicyRuleDefinition } from "./policy-document.ts";
import type { PolicyInput } from "./resolve-policy.ts";
import { simulateOver } from "./simulate.ts";

const agent = { id: "agt_1", name: "billing-agent", tags: ["finance"], trustLevel: "standard", ownerEmail: null };
const refund = (params: Record<string, unknown>): PolicyInput => ({ action: "payments.refund", resource: null, params, context: {}, agent });
const now = new Date("2026-12-03T08:00:00Z");

let n = 0;
function ruleSet(...defs: Partial<PolicyRuleDefinition>[]): RuleSet {
  return withShadowIndex({
    defaults: BUILTIN_DEFAULTS,
    rules: defs.map((d, i) => {
      const definition = { name: `r${i}`, actions: ["payments.*"], effect: "require_approval", ...d } as PolicyRuleDefinition;
      return compileRule({ id: `pol_shadow${++n}`, name: definition.name, version: 2, position: i, enabled: d.enabled ?? true, definition });
    }),
  });
}

describe("shadow rules", () => {
  it("never decide: the first enforced rule (or the default) still does", () => {
    const set = ruleSet({ name: "would-deny", mode: "shadow", effect: "deny" }, { name: "small", effect: "allow", condition: "params.amount <= 100" });
    expect(decide(set, refund({ amount: 50 }), now)).toMatchObject({ name: "small", effect: "allow" });
    const big = decide(set, refund({ amount: 500 }), now);
    expect(big).toMatchObject({ id: "pol_builtin_default", effect: "require_approval" });
  });

  it("are each recorded when they match, in order, with their version and effect", () => {
    const set = ruleSet(
      { name: "s-allow", mode: "shadow", effect: "allow", condition: "params.amount <= 100" },
      { name: "enforced", effect: "require_approval" },
      { name: "s-deny", mode: "shadow", effect: "deny", actions: ["payments.refund"] },
      { name: "s-other", mode: "shadow", effect: "deny", actions: ["db.*"] },
      { name: "s-off", mode: "shadow", effect: "deny", enabled: false },
    );
    const p = decide(set, refund({ amount: 50 }), now);
    expect(p.name).toBe("enforced");
    expect(p.shadowMatches).toEqual([
      { rule: "s-allow", rule_id: set.rules[0].id, version: 2, effect: "allow" },
      { rule: "s-deny", rule_id: set.rules[2].id, version: 2, effect: "deny" },
    ]);
    expect(decide(set, refund({ amount: 500 }), now).shadowMatches.map((m) => m.rule)).toEqual(["s-deny"]);
  });

  it("match as an enforced rule would when their condition errors (fail closed), and say so", () => {
    const set = ruleSet(
      { name: "s-allow", mode: "shadow", effect: "allow", condition: 'params.amount < "1"' },
      { name: "s-approve", mode: "shadow", condition: 'params.amount > "1"' },
    );
    const p = decide(set, refund({ amount: 5 }), now);
    expect(p.shadowMatches).toEqual([
      { rule: "s-approve", rule_id: set.rules[1].id, version: 2, effect: "require_approval", condition_error: expect.any(String) },
    ]);
    // A shadow rule's error is not an error of the decision.
    expect(p.conditionErrors).toEqual([]);
  });

  it("are found without the precomputed index too", () => {
    const { shadow: _shadow, ...plain } = ruleSet({ name: "s", mode: "shadow" });
    expect(decide(plain, refund({}), now).shadowMatches.map((m) => m.rule)).toEqual(["s"]);
  });

  it("are simulated as if enforced when drafted, and ignored when already in the set", () => {
    const set = ruleSet({ name: "existing-shadow", mode: "shadow", effect: "deny" });
    const draft = { name: "try-me", mode: "shadow", actions: ["payments.refund"], effect: "allow", condition: "params.amount <= 100" } as PolicyRuleDefinition;
    const [small, big] = simulateOver(
      set,
      draft,
      [
        { source: "a", input: refund({ amount: 10 }) },
        { source: "b", input: refund({ amount: 1000 }) },
      ],
      { now },
    );
    expect(small).toMatchObject({ draft_matches: true, effect_changed: true, current: { effect: "require_approval" }, with_draft: { effect: "allow" } });
    expect(big).toMatchObject({ draft_matches: false, effect_changed: false, current: { effect: "require_approval" } });
  });
});
