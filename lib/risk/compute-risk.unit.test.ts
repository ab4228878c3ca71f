import { describe, expect, it } from "vitest";
import { addToStats, computeRisk, hourlyMedian, numericParams, riskScore, unusualValue, type ParamStats, type RiskHistory } from "./compute-risk.ts";

/** An agent with plenty of approved history for this action, nothing unusual. */
function history(over: Partial<RiskHistory> = {}): RiskHistory {
  return {
    actionRequestedBefore: true,
    actionApproved: 12,
    agentApproved: 12,
    params: new Map(),
    onBehalfOfKnown: null,
    environment: { name: { known: null, seen: [] }, runtime: { known: null, seen: [] } },
    recent: { requests: 0, minutes: 10 },
    hourlyMedian: null,
    ...over,
  };
}

const request = (params: Record<string, unknown> = {}, context: Record<string, unknown> = {}) => ({
  agentName: "billing-agent",
  action: "payments.refund",
  params,
  context,
});

const statsOf = (values: number[]): ParamStats => values.reduce<ParamStats | undefined>((s, v) => addToStats(s, v), undefined)!;

describe("computeRisk", () => {
  it("finds nothing unusual in a request like the approved ones", () => {
    const r = computeRisk(
      request({ amount: 500 }, { on_behalf_of: "alice@example.com", confidence: 0.9 }),
      history({ params: new Map([["amount", statsOf([300, 800, 2000])]]), onBehalfOfKnown: true }),
    );
    expect(r).toEqual({ score: 0, flags: [] });
  });

  it("flags the first time an agent asks for an action, and an action asked for but never approved", () => {
    const first = computeRisk(request(), history({ actionRequestedBefore: false, actionApproved: 0, agentApproved: 0 }));
    expect(first.flags).toEqual([{ code: "first_action", severity: "medium", explanation: "First time billing-agent asks for payments.refund" }]);
    expect(first.score).toBe(25);
    const again = computeRisk(request(), history({ actionApproved: 0 }));
    expect(again.flags[0].explanation).toBe("billing-agent has asked for payments.refund before, but was never approved for it");
  });

  it("flags an amount far above the largest approved, with the ratio in plain words", () => {
    const r = computeRisk(request({ amount: 50_000 }), history({ params: new Map([["amount", statsOf([500, 2000, 1200])]]) }));
    expect(r.flags).toEqual([{ code: "unusual_amount", severity: "high", explanation: "amount 50,000 is 25× the largest approved (2,000)" }]);
    expect(r.score).toBe(45);
  });

  it("checks nested numeric params by dotted path and leaves unseen paths alone", () => {
    const r = computeRisk(request({ refund: { amount: 900 }, fee: 3 }), history({ params: new Map([["refund.amount", statsOf([100, 200])]]) }));
    expect(r.flags.map((f) => [f.code, f.severity, f.explanation])).toEqual([
      ["unusual_amount", "medium", "refund.amount 900 is 4.5× the largest approved (200)"],
    ]);
  });

  it("uses the spread of a long history: far below everything approved is unusual too", () => {
    const s = statsOf([1000, 1010, 990, 1005, 995, 1000, 1002, 998, 1001, 999]);
    expect(unusualValue("amount", 1001, s)).toBeNull();
    // 2.5× the largest is under the ratio, but far outside so tight a history.
    expect(unusualValue("amount", 2500, s)?.explanation).toMatch(/^amount 2,500 is far outside what was approved before/);
    expect(unusualValue("amount", 1012, s)).toBeNull(); // just outside the range, well within the spread
    const low = unusualValue("amount", 5, s);
    expect(low?.code).toBe("unusual_amount");
    expect(low?.severity).toBe("high");
    expect(low?.explanation).toMatch(
      /^amount 5 is far outside what was approved before \(990 to 1,010 over 10 approvals, \d[\d,]* standard deviations from the mean\)$/,
    );
    // … but with fewer than 10 approvals only the ratio applies.
    expect(unusualValue("amount", 5, statsOf([1000, 1010]))).toBeNull();
  });

  it("flags acting for someone new, only once the agent has approved history", () => {
    const ctx = { on_behalf_of: "Mallory@Example.com " };
    expect(computeRisk(request({}, ctx), history({ onBehalfOfKnown: false })).flags).toEqual([
      {
        code: "new_on_behalf_of",
        severity: "medium",
        explanation: "First time billing-agent acts on behalf of mallory@example.com: no earlier approved request was for them",
      },
    ]);
    const fresh = computeRisk(request({}, ctx), history({ actionRequestedBefore: false, actionApproved: 0, agentApproved: 0, onBehalfOfKnown: false }));
    expect(fresh.flags.map((f) => f.code)).toEqual(["first_action"]);
  });

  it("flags a new environment name or runtime, naming what was seen before", () => {
    const r = computeRisk(
      request({}, { environment: { name: "production", runtime: "k8s" } }),
      history({ environment: { name: { known: false, seen: ["staging"] }, runtime: { known: true, seen: ["k8s"] } } }),
    );
    expect(r.flags).toEqual([
      { code: "new_environment", severity: "medium", explanation: "billing-agent runs in a new environment: name production (before: staging)" },
    ]);
    // An agent that never stated an environment has nothing to differ from.
    expect(
      computeRisk(
        request({}, { environment: { name: "production" } }),
        history({ environment: { name: { known: false, seen: [] }, runtime: { known: null, seen: [] } } }),
      ).flags,
    ).toEqual([]);
  });

  it("flags low stated confidence against the configured threshold", () => {
    expect(computeRisk(request({}, { confidence: 0.3 }), history()).flags).toEqual([
      { code: "low_confidence", severity: "low", explanation: "The agent states a confidence of 0.3 (below 0.5)" },
    ]);
    expect(computeRisk(request({}, { confidence: 0.1 }), history()).flags[0].severity).toBe("medium");
    expect(computeRisk(request({}, { confidence: 0.5 }), history()).flags).toEqual([]);
    expect(computeRisk(request({}, { confidence: 0.6 }), history(), { ...defaults(), lowConfidence: 0.7 }).flags.map((f) => f.code)).toEqual([
      "low_confidence",
    ]);
  });

  it("flags a rate far above the agent's hourly median, and not without a baseline", () => {
    const spike = computeRisk(request(), history({ hourlyMedian: 6, recent: { requests: 29, minutes: 10 } }));
    expect(spike.flags).toEqual([
      {
        code: "rate_spike",
        severity: "high",
        explanation: "billing-agent sent 30 requests in the last 10 minutes (usually about 1; median 6 an hour over the last 7 days)",
      },
    ]);
    expect(computeRisk(request(), history({ hourlyMedian: 6, recent: { requests: 10, minutes: 10 } })).flags).toEqual([]); // under the minimum of 20
    expect(computeRisk(request(), history({ hourlyMedian: 600, recent: { requests: 150, minutes: 10 } })).flags).toEqual([]); // busy agent, usual pace
    expect(computeRisk(request(), history({ hourlyMedian: null, recent: { requests: 500, minutes: 10 } })).flags).toEqual([]); // under a day of history
    expect(computeRisk(request(), history({ hourlyMedian: 0, recent: { requests: 25, minutes: 10 } })).flags[0].explanation).toContain("usually fewer than 1");
    // The window spans 10 to 20 minutes; the baseline scales with it.
    expect(computeRisk(request(), history({ hourlyMedian: 60, recent: { requests: 70, minutes: 15 } })).flags).toEqual([]);
    expect(computeRisk(request(), history({ hourlyMedian: 60, recent: { requests: 79, minutes: 15 } })).flags).toEqual([
      {
        code: "rate_spike",
        severity: "medium",
        explanation: "billing-agent sent 80 requests in the last 15 minutes (usually about 15; median 60 an hour over the last 7 days)",
      },
    ]);
  });

  it("flags hidden and direction-changing characters, naming the fields and characters", () => {
    const r = computeRisk({ ...request({ to: "acct_\u202e1234_evil\u202c", amount: 5 }), summary: "Pay\u200b out" }, history());
    expect(r.flags).toEqual([
      {
        code: "hidden_characters",
        severity: "high",
        explanation:
          "Hidden or direction-changing characters in summary: U+200B ZERO WIDTH SPACE; params.to: U+202E RIGHT-TO-LEFT OVERRIDE, U+202C POP DIRECTIONAL FORMATTING",
      },
    ]);
    expect(r.score).toBe(45);
    // Keys, nested values, context and resource count too.
    const keyed = computeRisk({ ...request({ nested: { "t\u2066o": 1 } }, { labels: { team: "ops" } }), resource: "db:main" }, history());
    expect(keyed.flags[0].explanation).toBe('Hidden or direction-changing characters in params.nested["t⟨U+2066 LRI⟩o"] (key): U+2066 LEFT-TO-RIGHT ISOLATE');
    // Invisible characters only in prose: medium; a bidi control in prose: high.
    expect(computeRisk({ ...request({}, { on_behalf_of: "a\u200d@example.com" }), justification: "x" }, history()).flags[0]).toMatchObject({
      code: "hidden_characters",
      severity: "medium",
    });
    expect(computeRisk({ ...request(), justification: "see \u202eevil" }, history()).flags[0]).toMatchObject({ code: "hidden_characters", severity: "high" });
    // Line breaks, tabs, other scripts and emoji are not hidden.
    expect(computeRisk({ ...request({ note: "line one\nline two\tx", name: "שלום" }), summary: "⚠️ refund 👩\u200d💻" }, history()).flags).toEqual([]);
  });

  it("orders flags by severity and caps the score at 100", () => {
    const r = computeRisk(
      request({ amount: 1e6 }, { confidence: 0.4, on_behalf_of: "x@example.com" }),
      history({
        actionApproved: 0,
        params: new Map([["amount", statsOf([10])]]),
        onBehalfOfKnown: false,
        hourlyMedian: 0,
        recent: { requests: 40, minutes: 10 },
      }),
    );
    const severities = r.flags.map((f) => order(f.severity));
    expect(severities).toEqual([...severities].sort());
    expect(r.flags.map((f) => f.code).sort()).toEqual(["first_action", "low_confidence", "new_on_behalf_of", "rate_spike", "unusual_amount"]);
    expect(r.score).toBe(100);
    expect(riskScore([{ code: "low_confidence", severity: "low", explanation: "" }])).toBe(10);
  });
});

describe("history helpers", () => {
  it("collects finite numbers by path, skipping arrays, and bounds the count", () => {
    expect([...numericParams({ amount: 5, currency: "USD", nested: { a: 1.5, deep: { b: -2 } }, list: [1, 2], no: null })]).toEqual([
      ["amount", 5],
      ["nested.a", 1.5],
      ["nested.deep.b", -2],
    ]);
    const many = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`p${i}`, i]));
    expect(numericParams(many).size).toBe(32);
  });

  it("keeps Welford statistics equal to the two-pass ones", () => {
    const values = [3, 7, 7, 19, 24.5, -4];
    const s = statsOf(values);
    const mean = values.reduce((a, b) => a + b) / values.length;
    const m2 = values.reduce((a, v) => a + (v - mean) ** 2, 0);
    expect(s.n).toBe(6);
    expect(s.min).toBe(-4);
    expect(s.max).toBe(24.5);
    expect(s.mean).toBeCloseTo(mean, 10);
    expect(s.m2).toBeCloseTo(m2, 8);
  });

  it("takes the hourly median over every hour, quiet ones as zero", () => {
    expect(hourlyMedian([6, 6, 6], 3)).toBe(6);
    expect(hourlyMedian([10, 20], 5)).toBe(0);
    expect(hourlyMedian([4, 8, 2, 6], 4)).toBe(5);
    expect(hourlyMedian([], 0)).toBe(0);
  });
});

function defaults() {
  return { lowConfidence: 0.5, amountRatio: 3, amountZ: 4, minApprovalsForZ: 10, rateMinimum: 20, rateFactor: 5 };
}

function order(s: string) {
  return s === "high" ? 0 : s === "medium" ? 1 : 2;
}
