import { describe, expect, it } from "vitest";
import { classify, MAX_LEAVES, paramLeaves } from "./param-kinds.ts";

/** The leaf at `path`; Intl's no-break space between code and number written as a plain space. */
function kindOf(params: Record<string, unknown>, path: string) {
  const display = paramLeaves(params, "en-US").leaves.find((l) => l.path === path)?.display;
  return display?.kind === "money" ? { ...display, formatted: display.formatted.replace(/\u00a0/g, " ") } : display;
}

describe("param kinds", () => {
  it("reads amounts with their currency, in major units or minor units by the key's name", () => {
    expect(kindOf({ amount: 5000, currency: "usd" }, "amount")).toEqual({ kind: "money", formatted: "USD 5,000.00", currency: "USD", minorUnits: false });
    expect(kindOf({ amount_cents: 5000, currency: "EUR" }, "amount_cents")).toMatchObject({ formatted: "EUR 50.00", minorUnits: true });
    expect(kindOf({ refundAmountInCents: 1999, currency: "GBP" }, "refundAmountInCents")).toMatchObject({ formatted: "GBP 19.99" });
    // A prefixed currency wins over the general one.
    expect(kindOf({ fee: 3, fee_currency: "JPY", currency: "USD" }, "fee")).toMatchObject({ formatted: "JPY 3", currency: "JPY" });
    // No currency named: the number, grouped, still marked as money.
    expect(kindOf({ total: 1234567.5 }, "total")).toEqual({ kind: "money", formatted: "1,234,567.5", currency: null, minorUnits: false });
    // A code no browser knows is shown as sent, never guessed.
    expect(kindOf({ amount: 10, currency: "ZZZ" }, "amount")).toMatchObject({ kind: "money", currency: "ZZZ" });
  });

  it("does not take words that merely end like money for money", () => {
    for (const key of ["checksum", "coffee", "discount", "amounted_to_x", "count", "retries"]) expect(kindOf({ [key]: 5 }, key)).toEqual({ kind: "number" });
  });

  it("tells emails, URLs, date-times and multi-line text from plain text", () => {
    expect(classify("to", "alice@exämple.com", {})).toEqual({ kind: "email", local: "alice", domain: "exämple.com" });
    expect(classify("to", "not an@email", {})).toEqual({ kind: "text" });
    expect(classify("hook", "https://hooks.example.com/a?b=1", {})).toEqual({ kind: "url", scheme: "https", host: "hooks.example.com", rest: "/a?b=1" });
    expect(classify("hook", "javascript:alert(1)", {})).toEqual({ kind: "text" });
    expect(classify("at", "2026-12-03T10:00:00Z", {})).toEqual({ kind: "datetime", iso: "2026-12-03T10:00:00Z" });
    expect(classify("at", "2026-13-45T10:00:00Z", {})).toEqual({ kind: "text" });
    expect(classify("body", "line one\nline two\n", {})).toEqual({ kind: "multiline", lines: 3 });
    expect(classify("n", null, {})).toEqual({ kind: "null" });
    expect(classify("n", [], {})).toEqual({ kind: "empty", brackets: "[]" });
  });

  it("flattens nested params to paths in canonical key order, quoting keys that are not plain names", () => {
    const { leaves, more } = paramLeaves({ z: 1, customer: { email: "a@b.co", "odd key": true }, items: [{ sku: "x" }], __proto__x: 2 });
    expect(leaves.map((l) => l.path)).toEqual(["__proto__x", "customer.email", 'customer["odd key"]', "items[0].sku", "z"]);
    expect(more).toBe(0);
  });

  it("lists at most MAX_LEAVES leaves and counts the rest", () => {
    const params = Object.fromEntries(Array.from({ length: MAX_LEAVES + 7 }, (_, i) => [`k${String(i).padStart(3, "0")}`, i]));
    const { leaves, more } = paramLeaves(params);
    expect(leaves).toHaveLength(MAX_LEAVES);
    expect(more).toBe(7);
  });

  it("shows what lies deeper than it walks as its JSON text", () => {
    const deep = { a: { b: { c: { d: { e: { f: { g: 1 } } } } } } };
    const { leaves } = paramLeaves(deep);
    expect(leaves).toEqual([{ path: "a.b.c.d.e.f", value: '{"g":1}', display: { kind: "text" } }]);
  });
});
