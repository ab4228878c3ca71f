import { describe, expect, it } from "vitest";
import { checkCondition, conditionHistoryNeeds, type HistoryTotals } from "./cel.ts";
import { historyKey, parseDurationMs, patternLike, summedParams, windowStart } from "./history-conditions.ts";
import { BUILTIN_DEFAULTS, compileRule, decide, historyNeedsFor, type RuleSet } from "./match-rules.ts";
import type { PolicyRuleDefinition } from "./policy-document.ts";
import type { PolicyInput } from "./resolve-policy.ts";

const agent = { id: "agt_1", name: "billing-agent", tags: ["finance"], trustLevel: "standard", ownerEmail: null };
const input = (overrides: Partial<PolicyInput> = {}): PolicyInput => ({
  action: "payments.refund",
  resource: null,
  params: { amount: 300 },
  context: {},
  agent,
  ...overrides,
});
let n = 0;
function rules(...defs: Partial<PolicyRuleDefinition>[]): RuleSet {
  return {
    defaults: BUILTIN_DEFAULTS,
    rules: defs.map((d, i) => {
      const definition = { name: `r${i}`, actions: ["*"], effect: "allow", ...d } as PolicyRuleDefinition;
      return compileRule({ id: `pol_h${++n}`, name: definition.name, version: 1, position: i, enabled: true, definition });
    }),
  };
}
const now = new Date("2026-11-23T12:02:30Z");
const LIMIT = 'history.sum("payments.refund", "amount", duration("24h")) + params.amount <= 1000';
const DAY = 86_400_000;

describe("history functions: checking at save time", () => {
  it("accepts count and sum with literal patterns, names and windows", () => {
    expect(checkCondition(LIMIT)).toBeNull();
    expect(checkCondition('history.count("payments.*", duration("1h")) < 5')).toBeNull();
    expect(checkCondition('history.count("*", duration("744h")) == 0 || params.amount < 10')).toBeNull();
    expect(checkCondition('history.sum("payments.refund", "amount", duration("90m")) > 1000.0')).toBeNull();
  });

  it("rejects wrong argument types, unknown pattern syntax and bad windows with a clear message", () => {
    const msg = (c: string) => checkCondition(c)?.message;
    expect(msg('history.count("payments.refund") < 5')).toMatch(/history.count takes 2 arguments/);
    expect(msg('history.count(action, duration("1h")) < 5')).toMatch(/pattern of history.count must be a string literal/);
    expect(msg('history.count(5, duration("1h")) < 5')).toMatch(/must be a string literal/);
    expect(msg('history.count("Payments/**", duration("1h")) < 5')).toMatch(/'Payments\/\*\*' is not an action pattern/);
    expect(msg('history.count("pay*", duration("1h")) < 5')).toMatch(/not an action pattern/);
    expect(msg('history.count("payments.*", "24h") < 5')).toMatch(/window of history.count must be a literal duration/);
    expect(msg('history.count("payments.*", duration("-24h")) < 5')).toMatch(/between 1m and 744h/);
    expect(msg('history.count("payments.*", duration("745h")) < 5')).toMatch(/between 1m and 744h \(31 days\).* not 745h/);
    expect(msg('history.count("payments.*", duration("10s")) < 5')).toMatch(/between 1m and 744h/);
    expect(msg('history.count("payments.*", duration("soon")) < 5')).toMatch(/'soon' is not a duration/);
    expect(msg('history.sum("payments.refund", 1, duration("1h")) > 5')).toMatch(/parameter name of history.sum must be a non-empty string literal/);
    expect(msg('history.sum("payments.refund", "", duration("1h")) > 5')).toMatch(/non-empty string literal/);
    expect(msg('history.max("payments.refund", duration("1h")) > 5')).toMatch(/history has no function 'max'/);
    expect(msg("history.count > 5")).toMatch(/history is used only as history.count/);
    expect(msg('history.count("payments.*", duration("1h")) == "five"')).toMatch(/'==' cannot be applied to int and string/);
    expect(msg('history.count("payments.*", duration("1h"))')).toMatch(/must be true or false/);
    // The column points at the offending argument.
    expect(checkCondition('history.count("payments.*", duration("1000h")) < 5')?.column).toBe(29);
  });

  it("knows at compile time what a condition reads, once per distinct total", () => {
    expect(conditionHistoryNeeds("params.amount > 5")).toEqual([]);
    expect(
      conditionHistoryNeeds(`${LIMIT} && history.count("payments.*", duration("1h30m")) < 3 && history.sum("payments.refund", "amount", duration("24h")) >= 0`),
    ).toEqual([
      { kind: "sum", pattern: "payments.refund", name: "amount", windowMs: DAY },
      { kind: "count", pattern: "payments.*", name: "", windowMs: 5_400_000 },
    ]);
  });
});

describe("history functions: evaluation", () => {
  const totals = (sum: number): HistoryTotals => new Map([[historyKey({ kind: "sum", pattern: "payments.refund", name: "amount", windowMs: DAY }), sum]]);

  it("adds the prefetched total to the current request (int and double amounts alike)", () => {
    const set = rules({ name: "under-limit", actions: ["payments.refund"], condition: LIMIT });
    expect(decide(set, input(), now, totals(700)).name).toBe("under-limit");
    expect(decide(set, input(), now, totals(700.5)).effect).toBe("require_approval");
    expect(decide(set, input({ params: { amount: 299.5 } }), now, totals(700.5)).name).toBe("under-limit");
    expect(decide(set, input(), now, totals(0)).name).toBe("under-limit");
  });

  it("counts compare with ints", () => {
    const set = rules({ name: "few", condition: 'history.count("payments.*", duration("1h")) < 3' });
    const count = (c: bigint): HistoryTotals => new Map([[historyKey({ kind: "count", pattern: "payments.*", name: "", windowMs: 3_600_000 }), c]]);
    expect(decide(set, input(), now, count(2n)).name).toBe("few");
    expect(decide(set, input(), now, count(3n)).effect).toBe("require_approval");
  });

  it("reads each call's prefetched total, inside macros too; history.total is not for rule authors", () => {
    const set = rules({
      name: "quiet",
      condition: '[1, 2].all(x, history.count("payments.*", duration("1h")) < x + 1) && history.count("payments.*", duration("1h")) == 0',
    });
    const count = (c: bigint): HistoryTotals => new Map([[historyKey({ kind: "count", pattern: "payments.*", name: "", windowMs: 3_600_000 }), c]]);
    expect(decide(set, input(), now, count(0n)).name).toBe("quiet");
    expect(decide(set, input(), now, count(1n)).effect).toBe("require_approval");
    // What compiled conditions call: saving a rule that calls it directly is refused.
    expect(checkCondition('history.total("count|payments.*||3600000") == 0')?.message).toMatch(/history has no function 'total'/);
  });

  it("fails closed when history is unavailable: an allow does not match, a deny does", () => {
    const allow = rules({ name: "under-limit", actions: ["payments.refund"], condition: LIMIT });
    const policy = decide(allow, input(), now, null);
    expect(policy.effect).toBe("require_approval");
    expect(policy.conditionErrors).toEqual([
      expect.objectContaining({ rule_name: "under-limit", error: expect.stringMatching(/history is unavailable/), treated_as: "no_match" }),
    ]);
    const deny = rules({ name: "over-limit", actions: ["payments.refund"], effect: "deny", condition: LIMIT.replace("<=", ">") });
    expect(decide(deny, input(), now, null)).toMatchObject({ name: "over-limit", effect: "deny" });
  });
});

describe("which requests read history", () => {
  const set = rules(
    { name: "plain", actions: ["search.*"] },
    {
      name: "limited",
      actions: ["payments.refund"],
      agents: { names: [], tags: ["finance"] },
      condition: `${LIMIT} && history.count("payments.*", duration("1h")) < 9`,
    },
  );

  it("loads the needs of the rules that select the request", () => {
    const { needs } = historyNeedsFor(set.rules, input());
    expect(needs.map(historyKey).sort()).toEqual(["count|payments.*||3600000", "sum|payments.refund|amount|86400000"]);
  });

  it("reads nothing for a request a limit on another action would only count", () => {
    expect(historyNeedsFor(set.rules, input({ action: "payments.charge" }))).toEqual({ needs: [] });
  });

  it("does nothing for other actions, other agents, and rule sets without history", () => {
    expect(historyNeedsFor(set.rules, input({ action: "search.web" }))).toEqual({ needs: [] });
    expect(historyNeedsFor(set.rules, input({ agent: { ...agent, tags: [] } }))).toEqual({ needs: [] });
    expect(historyNeedsFor(rules({ name: "x", condition: "params.amount > 1" }).rules, input())).toEqual({ needs: [] });
  });

  it("answers for the agent as it is now, however often asked: a tag added or removed selects again", () => {
    const untagged = input({ agent: { ...agent, tags: [] } });
    for (let i = 0; i < 3; i++) {
      expect(historyNeedsFor(set.rules, untagged).needs).toHaveLength(0);
      expect(historyNeedsFor(set.rules, input()).needs).toHaveLength(2);
    }
    expect(historyNeedsFor(set.rules, input({ agent: { ...agent, name: "renamed", tags: ["other", "finance"] } })).needs).toHaveLength(2);
  });
});

describe("windows, durations, patterns and summed params", () => {
  it("parses CEL durations", () => {
    expect(parseDurationMs("24h")).toBe(DAY);
    expect(parseDurationMs("1h30m")).toBe(5_400_000);
    expect(parseDurationMs("1.5h")).toBe(5_400_000);
    expect(parseDurationMs("90s")).toBe(90_000);
    expect(parseDurationMs("-1h")).toBe(-3_600_000);
    expect(parseDurationMs("1d")).toBeNull();
    expect(parseDurationMs("")).toBeNull();
  });

  it("starts a window at the 5-minute bucket holding now - window: never shorter than asked, at most 5 minutes longer", () => {
    expect(windowStart(now, 3_600_000).toISOString()).toBe("2026-11-23T11:00:00.000Z");
    expect(windowStart(new Date("2026-11-23T12:05:00Z"), 3_600_000).toISOString()).toBe("2026-11-23T11:05:00.000Z");
    for (const t of [0, 1, 299_999, 300_000, 123_456_789]) {
      const at = new Date(now.getTime() + t);
      const start = windowStart(at, DAY).getTime();
      expect(at.getTime() - start).toBeGreaterThanOrEqual(DAY);
      expect(at.getTime() - start).toBeLessThan(DAY + 300_000);
    }
  });

  it("turns action patterns into LIKE patterns, escaping LIKE's own wildcards", () => {
    expect(patternLike("*")).toBe("%");
    expect(patternLike("payments.*")).toBe("payments.%");
    expect(patternLike("pay_ments.refund")).toBe("pay\\_ments.refund");
  });

  it("sums only finite numeric top-level params", () => {
    expect(summedParams({ amount: 12.5, n: 3, note: "x", nested: { amount: 4 }, flag: true, big: Number.POSITIVE_INFINITY, "": 1 })).toEqual([
      ["amount", 12.5],
      ["n", 3],
    ]);
  });
});
