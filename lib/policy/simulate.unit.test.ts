import { describe, expect, it } from "vitest";
import { historyKey } from "./history-conditions.ts";
import { BUILTIN_DEFAULTS, compileRule, decide, firstMatch, type RuleSet } from "./match-rules.ts";
import type { PolicyRuleDefinition } from "./policy-document.ts";
import type { PolicyInput } from "./resolve-policy.ts";
import { simulateOver, type SimulationInput } from "./simulate.ts";

const agent = { id: "agt_1", name: "billing-agent", tags: ["finance"], trustLevel: "standard", ownerEmail: null };
const refund = (params: Record<string, unknown>, source = "sample"): SimulationInput => ({
  source,
  input: { action: "payments.refund", resource: null, params, context: {}, agent } satisfies PolicyInput,
});
const now = new Date("2026-12-02T08:00:00Z");

let n = 0;
function ruleSet(...defs: Partial<PolicyRuleDefinition>[]): RuleSet {
  return {
    defaults: BUILTIN_DEFAULTS,
    rules: defs.map((d, i) => {
      const definition = { name: `r${i}`, actions: ["payments.*"], effect: "require_approval", ...d } as PolicyRuleDefinition;
      return compileRule({ id: `pol_sim${++n}`, name: definition.name, version: 3, position: i, enabled: true, definition });
    }),
  };
}
const draft = (d: Partial<PolicyRuleDefinition>) =>
  ({ name: "refunds", actions: ["payments.refund"], effect: "require_approval", ...d }) as PolicyRuleDefinition;

describe("condition errors while rules are tried", () => {
  it("are recorded with the rule, its version, the error and how each was treated", () => {
    const set = ruleSet(
      { name: "auto", effect: "allow", condition: 'params.amount < "100"' },
      { name: "big", condition: 'params.amount > "1000"', approvals_required: 2 },
    );
    const p = decide(set, refund({ amount: 50 }).input, now);
    expect(p).toMatchObject({ name: "big", approvalsRequired: 2 });
    expect(p.conditionErrors).toEqual([
      { rule_id: set.rules[0].id, rule_name: "auto", rule_version: 3, error: expect.stringMatching(/.+/), treated_as: "no_match" },
      { rule_id: set.rules[1].id, rule_name: "big", rule_version: 3, error: expect.stringMatching(/.+/), treated_as: "match" },
    ]);
  });

  it("are empty when every condition evaluates, and rules not selected are never run", () => {
    const set = ruleSet({ name: "ok", condition: "params.amount > 1000" }, { name: "elsewhere", actions: ["github.*"], condition: 'params.amount > "1"' });
    expect(decide(set, refund({ amount: 50 }).input, now).conditionErrors).toEqual([]);
    expect(firstMatch(set.rules, refund({ amount: 5000 }).input, now)).toMatchObject({ rule: { name: "ok" }, conditionErrors: [] });
  });
});

describe("simulating a draft", () => {
  it("reports the draft's condition error per request, whatever else decides it", () => {
    const current = ruleSet({ name: "first", effect: "deny", condition: "has(params.amount) && params.amount == 1000000" });
    const results = simulateOver(
      current,
      draft({ condition: 'params.amount > "1000"' }),
      [refund({ amount: 50 }), refund({ amount: 5000 }, "req_2"), refund({}, "req_3")],
      { now },
    );
    expect(results.map((r) => r.draft_condition_error)).toEqual([
      { error: expect.stringMatching(/.+/), treated_as: "match" },
      { error: expect.stringMatching(/.+/), treated_as: "match" },
      { error: expect.stringMatching(/.+/), treated_as: "match" },
    ]);
    // Every one of them, even $50, now falls to the draft: a silent change in handling.
    expect(results.every((r) => r.draft_matches)).toBe(true);
    expect(results[0].with_draft.condition_errors).toEqual([expect.objectContaining({ rule_name: "refunds", treated_as: "match" })]);
  });

  it("a draft allow rule's error is no match, and a condition that works reports none", () => {
    const [allow] = simulateOver(ruleSet(), draft({ effect: "allow", condition: 'params.amount < "100"' }), [refund({ amount: 50 })], { now });
    expect(allow).toMatchObject({ draft_matches: false, draft_condition_error: { treated_as: "no_match" }, handling_changed: false, changes: [] });
    const [fine] = simulateOver(ruleSet(), draft({ condition: "params.amount > 1000" }), [refund({ amount: 50 })], { now });
    expect(fine.draft_condition_error).toBeNull();
  });

  it("counts a change in approvals and reviewer groups, not only in the effect", () => {
    const current = ruleSet({ name: "refunds", actions: ["payments.refund"], approvals_required: 1 });
    const [r] = simulateOver(current, draft({ approvals_required: 2, reviewers: { groups: ["finance"] } }), [refund({ amount: 50 })], { now });
    expect(r).toMatchObject({ effect_changed: false, handling_changed: true, changes: ["approvals_required", "reviewer_groups"] });
    expect(r.current).toMatchObject({ approvals_required: 1, reviewer_groups: [] });
    expect(r.with_draft).toMatchObject({ approvals_required: 2, reviewer_groups: ["finance"] });
  });

  it("names each setting that changes, for the effect that applies", () => {
    const current = ruleSet({ name: "refunds", actions: ["payments.refund"] });
    const changed = (d: Partial<PolicyRuleDefinition>) => simulateOver(current, draft(d), [refund({ amount: 50 })], { now })[0].changes;
    expect(changed({})).toEqual([]);
    expect(changed({ reason_required_to_approve: true })).toEqual(["reason_required_to_approve"]);
    expect(changed({ owner_may_decide: true })).toEqual(["owner_may_decide"]);
    expect(changed({ reviewers_may_edit: ["amount"] })).toEqual(["reviewers_may_edit"]);
    expect(changed({ wait_seconds: 60, grant_ttl_seconds: 60 })).toEqual(["wait_seconds", "grant_ttl_seconds"]);
    expect(changed({ audience: "payments-service" })).toEqual(["audience"]);
    expect(changed({ effect: "deny", reason: "no" })).toEqual(["effect"]);

    const allow = ruleSet({ name: "refunds", actions: ["payments.refund"], effect: "allow" });
    // An allow has no wait: a different wait_seconds changes nothing about it.
    expect(simulateOver(allow, draft({ effect: "allow", wait_seconds: 60 }), [refund({})], { now })[0].changes).toEqual([]);
    expect(simulateOver(allow, draft({ effect: "allow", grant_ttl_seconds: 60 }), [refund({})], { now })[0].changes).toEqual(["grant_ttl_seconds"]);
    const deny = ruleSet({ name: "refunds", actions: ["payments.refund"], effect: "deny", reason: "a" });
    expect(simulateOver(deny, draft({ effect: "deny", reason: "b" }), [refund({})], { now })[0].changes).toEqual(["reason"]);
  });

  it("evaluates a draft's history conditions with each request's totals; without them they fail closed", () => {
    const limit = draft({
      effect: "deny",
      reason: "over the daily limit",
      condition: 'history.sum("payments.refund", "amount", duration("24h")) + params.amount > 1000',
    });
    const day = (total: number) => new Map([[historyKey({ kind: "sum", pattern: "payments.refund", name: "amount", windowMs: 86_400_000 }), total]]);
    const [over, under, unread] = simulateOver(
      ruleSet(),
      limit,
      [
        { ...refund({ amount: 300 }, "req_1"), history: day(900) },
        { ...refund({ amount: 300 }, "req_2"), history: day(100) },
        refund({ amount: 300 }, "req_3"),
      ],
      { now },
    );
    expect(over).toMatchObject({ draft_matches: true, effect_changed: true, draft_condition_error: null, with_draft: { effect: "deny" } });
    expect(under).toMatchObject({ draft_matches: false, effect_changed: false, draft_condition_error: null });
    expect(unread).toMatchObject({
      draft_matches: true,
      draft_condition_error: { error: expect.stringMatching(/history is unavailable/), treated_as: "match" },
    });
  });

  it("a request the draft does not select is unchanged and has no draft error", () => {
    const [r] = simulateOver(
      ruleSet(),
      draft({ actions: ["github.merge"], condition: 'params.amount > "1"', approvals_required: 3 }),
      [refund({ amount: 5 })],
      { now },
    );
    expect(r).toMatchObject({ draft_matches: false, handling_changed: false, draft_condition_error: null });
  });
});
