import { describe, expect, it } from "vitest";
import { approvesCurrentParams, changedNames } from "./amend-params.ts";

describe("changedNames", () => {
  it("names every top-level param added, removed or changed, sorted, comparing values canonically", () => {
    expect(changedNames({ a: 1, b: { x: 1, y: 2 }, c: "s" }, { a: 1, b: { y: 2, x: 1 }, c: "s" })).toEqual([]);
    expect(changedNames({ a: 1, b: 2 }, { b: 3, c: null })).toEqual(["a", "b", "c"]);
    expect(changedNames({ n: 1 }, { n: 1.0 })).toEqual([]);
    expect(changedNames({ n: [1, 2] }, { n: [2, 1] })).toEqual(["n"]);
  });

  it("treats __proto__-like and inherited names as plain keys, never as the prototype", () => {
    const before = JSON.parse('{"toString":1}') as Record<string, unknown>;
    expect(changedNames(before, {})).toEqual(["toString"]);
    expect(changedNames({}, { constructor: 1 })).toEqual(["constructor"]);
  });
});

describe("approvesCurrentParams", () => {
  const unamended = { paramsSha256: "a", originalParamsSha256: null };
  const amended = { paramsSha256: "b", originalParamsSha256: "a" };

  it("counts approvals of the params as they stand, and never denials", () => {
    expect(approvesCurrentParams({ decision: "approve", paramsSha256: "a" }, unamended)).toBe(true);
    expect(approvesCurrentParams({ decision: "approve", paramsSha256: "a" }, amended)).toBe(false);
    expect(approvesCurrentParams({ decision: "approve", paramsSha256: "b" }, amended)).toBe(true);
    expect(approvesCurrentParams({ decision: "deny", paramsSha256: null }, unamended)).toBe(false);
  });

  it("counts a vote from before amendments existed (no hash) only while the request is unamended", () => {
    expect(approvesCurrentParams({ decision: "approve", paramsSha256: null }, unamended)).toBe(true);
    expect(approvesCurrentParams({ decision: "approve", paramsSha256: null }, amended)).toBe(false);
  });
});
