import { describe, expect, it } from "vitest";
import { jsonProblem } from "./json.ts";

const nested = (depth: number): unknown => (depth === 0 ? 1 : [nested(depth - 1)]);

describe("jsonProblem", () => {
  it("accepts ordinary JSON", () => {
    expect(jsonProblem({ a: [1, "two", null, true, { b: 2.5 }], c: "" })).toBeNull();
    expect(jsonProblem({})).toBeNull();
  });

  it("finds a NUL character in a string or a key, at any depth", () => {
    expect(jsonProblem({ a: "x\u0000y" })).toMatch(/NUL/);
    expect(jsonProblem({ a: [{ b: ["\u0000"] }] })).toMatch(/NUL/);
    expect(jsonProblem({ "k\u0000": 1 })).toMatch(/NUL/);
  });

  it("refuses nesting deeper than 32 levels and accepts 32", () => {
    expect(jsonProblem(nested(32))).toBeNull();
    expect(jsonProblem(nested(33))).toMatch(/deeper than 32/);
    expect(jsonProblem({ a: nested(40) })).toMatch(/deeper/);
  });

  it("refuses non-finite numbers", () => {
    expect(jsonProblem({ a: Infinity })).toMatch(/out of range/);
    expect(jsonProblem([-Infinity])).toMatch(/out of range/);
    expect(jsonProblem({ a: NaN })).toMatch(/out of range/);
  });

  it("refuses values that are not JSON", () => {
    expect(jsonProblem({ a: undefined })).not.toBeNull();
    expect(jsonProblem({ a: () => 1 })).not.toBeNull();
    expect(jsonProblem({ a: 1n })).not.toBeNull();
  });
});
