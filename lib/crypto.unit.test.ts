import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { canonicalJson, canonicalSha256, safeEqual, sha256Hex } from "./crypto.ts";

describe("canonical JSON (RFC 8785)", () => {
  it("sorts keys at every depth, so key order never changes the hash", () => {
    const a = { b: 2, a: { y: [1, { d: 1, c: 2 }], x: "s" } };
    const b = { a: { x: "s", y: [1, { c: 2, d: 1 }] }, b: 2 };
    expect(canonicalJson(a)).toBe('{"a":{"x":"s","y":[1,{"c":2,"d":1}]},"b":2}');
    expect(canonicalSha256(a)).toBe(canonicalSha256(b));
  });

  it("normalises numbers and keeps array order significant", () => {
    expect(canonicalJson({ n: 1.0, m: 1e21, k: 0.1 })).toBe('{"k":0.1,"m":1e+21,"n":1}');
    expect(canonicalSha256([1, 2])).not.toBe(canonicalSha256([2, 1]));
  });

  it("hashes the canonical text with SHA-256, hex", () => {
    expect(canonicalSha256({})).toBe(createHash("sha256").update("{}").digest("hex"));
    expect(canonicalSha256({ amount: 500 })).not.toBe(canonicalSha256({ amount: 501 }));
    expect(canonicalSha256({ amount: 500 })).not.toBe(canonicalSha256({ amount: "500" }));
  });

  it("refuses what has no JSON form", () => {
    expect(() => canonicalJson(undefined)).toThrow();
  });
});

describe("safeEqual", () => {
  it("compares exactly", () => {
    expect(safeEqual(sha256Hex("a"), sha256Hex("a"))).toBe(true);
    expect(safeEqual(sha256Hex("a"), sha256Hex("b"))).toBe(false);
    expect(safeEqual("abc", "abcd")).toBe(false);
    expect(safeEqual("", "")).toBe(true);
  });
});
