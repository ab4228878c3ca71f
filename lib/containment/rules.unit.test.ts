import { describe, expect, it } from "vitest";
import { newId } from "../ids.ts";
import {
  agentInScope,
  CONTAINMENT_OFF,
  ContainmentSettings,
  containmentEnabled,
  denialRateBreach,
  firstRequestIdAt,
  normalizeContainment,
  requestRateBreach,
} from "./rules.ts";

describe("the request-rate threshold", () => {
  const rule = { max_requests: 100, window_seconds: 60 };

  it("allows up to the limit and trips one above it", () => {
    expect(requestRateBreach(rule, 0)).toBeNull();
    expect(requestRateBreach(rule, 100)).toBeNull();
    expect(requestRateBreach(rule, 101)).toEqual({
      reason: "automatic containment: 101 requests in 60 s, above the limit of 100",
      containment: { rule: "request_rate", observed: 101, threshold: 100, window_seconds: 60 },
    });
  });

  it("says how many requests there were", () => {
    expect(requestRateBreach(rule, 120)?.reason).toBe("automatic containment: 120 requests in 60 s, above the limit of 100");
  });
});

describe("the denial-rate threshold", () => {
  const rule = { max_ratio: 0.5, min_decisions: 10, window_seconds: 3600 };

  it("waits for the minimum number of decisions", () => {
    expect(denialRateBreach(rule, { denied: 9, decisions: 9 })).toBeNull();
    expect(denialRateBreach(rule, { denied: 0, decisions: 0 })).toBeNull();
  });

  it("trips only above the ratio, not at it", () => {
    expect(denialRateBreach(rule, { denied: 5, decisions: 10 })).toBeNull();
    expect(denialRateBreach(rule, { denied: 6, decisions: 10 })).toEqual({
      reason: "automatic containment: 6 of 10 decisions denied in 3600 s (60 %), above the limit of 50 %",
      containment: { rule: "denial_rate", observed: 0.6, threshold: 0.5, window_seconds: 3600, denied: 6, decisions: 10, min_decisions: 10 },
    });
  });

  it("with a ratio of 0, any denial trips once enough decisions were made", () => {
    const strict = { ...rule, max_ratio: 0, min_decisions: 1 };
    expect(denialRateBreach(strict, { denied: 0, decisions: 5 })).toBeNull();
    expect(denialRateBreach(strict, { denied: 1, decisions: 1 })?.containment.observed).toBe(1);
  });

  it("rounds the observed ratio for the record", () => {
    expect(denialRateBreach({ ...rule, min_decisions: 3 }, { denied: 2, decisions: 3 })?.containment.observed).toBe(0.6667);
    expect(denialRateBreach({ ...rule, min_decisions: 3 }, { denied: 2, decisions: 3 })?.reason).toContain("(66.7 %)");
  });
});

describe("the settings", () => {
  it("are off unless a rule is set", () => {
    expect(containmentEnabled(CONTAINMENT_OFF)).toBe(false);
    expect(containmentEnabled({ ...CONTAINMENT_OFF, denial_rate: { max_ratio: 0.2, min_decisions: 5, window_seconds: 600 } })).toBe(true);
  });

  it("refuse what makes no sense, and unknown fields", () => {
    const bad = [
      {},
      { request_rate: null },
      { request_rate: { max_requests: 0, window_seconds: 60 }, denial_rate: null },
      { request_rate: { max_requests: 10, window_seconds: 0 }, denial_rate: null },
      { request_rate: { max_requests: 1.5, window_seconds: 60 }, denial_rate: null },
      { request_rate: { max_requests: 10, window_seconds: 86_401 }, denial_rate: null },
      { request_rate: null, denial_rate: { max_ratio: 1, min_decisions: 10, window_seconds: 3600 } },
      { request_rate: null, denial_rate: { max_ratio: -0.1, min_decisions: 10, window_seconds: 3600 } },
      { request_rate: null, denial_rate: { max_ratio: 0.5, min_decisions: 0, window_seconds: 3600 } },
      { request_rate: null, denial_rate: { max_ratio: 0.5, min_decisions: 10, window_seconds: 30 } },
      { request_rate: null, denial_rate: { max_ratio: 0.5, window_seconds: 3600 } },
      { request_rate: null, denial_rate: null, extra: true },
      { request_rate: { max_requests: 10, window_seconds: 60, burst: 2 }, denial_rate: null },
      { request_rate: null, denial_rate: null, agents: { names: ["Not A Name"] } },
      { request_rate: null, denial_rate: null, agents: { groups: ["x"] } },
      { request_rate: "100/min", denial_rate: null },
    ];
    for (const b of bad) expect(ContainmentSettings.safeParse(b).success, JSON.stringify(b)).toBe(false);
  });

  it("normalise the scope: duplicates dropped, an empty scope is every agent", () => {
    const base = { request_rate: { max_requests: 5, window_seconds: 10 }, denial_rate: null };
    expect(normalizeContainment(ContainmentSettings.parse({ ...base, agents: { names: [], tags: [] } })).agents).toBeNull();
    expect(normalizeContainment(ContainmentSettings.parse(base)).agents).toBeNull();
    expect(normalizeContainment(ContainmentSettings.parse({ ...base, agents: { tags: ["a", "a"] } })).agents).toEqual({ names: [], tags: ["a"] });
  });
});

describe("the scope", () => {
  const config = { ...CONTAINMENT_OFF, agents: { names: ["billing-agent"], tags: ["experimental"] } };

  it("selects by name or by tag; without a scope, every agent", () => {
    expect(agentInScope(config, { name: "billing-agent", tags: [] })).toBe(true);
    expect(agentInScope(config, { name: "other", tags: ["prod", "experimental"] })).toBe(true);
    expect(agentInScope(config, { name: "other", tags: ["prod"] })).toBe(false);
    expect(agentInScope(CONTAINMENT_OFF, { name: "anyone", tags: [] })).toBe(true);
  });
});

describe("the first request id of a window", () => {
  it("orders before every id made at or after that time, and after every id made before it", () => {
    const at = new Date();
    const bound = firstRequestIdAt(at);
    const later = newId("req");
    expect(later >= bound).toBe(true);
    expect(bound).toMatch(/^req_[0-9a-z]{10}$/);
    // An id from one millisecond earlier has a smaller time prefix.
    const earlier = `${firstRequestIdAt(new Date(at.getTime() - 1))}zzzzzzzzzzzzzzzz`;
    expect(earlier < bound).toBe(true);
    expect(later.slice(0, 14) >= bound).toBe(true);
  });
});
