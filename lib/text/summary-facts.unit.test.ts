import { describe, expect, it } from "vitest";
import { summaryMismatches } from "./summary-facts.ts";

describe("what a summary states that its params do not", () => {
  it("flags the amount of a refund whose params ask for a thousand times more", () => {
    expect(summaryMismatches("Refund $5 to customer cus_007", { amount: 5000, currency: "USD", customer: "cus_007" })).toEqual([{ text: "5", kind: "number" }]);
  });

  it("accepts amounts in minor units, with decimals or thousands separators, and numbers inside param strings", () => {
    expect(summaryMismatches("Refund $5.00 to cus_007", { amount: 500, customer: "cus_007" })).toEqual([]);
    expect(summaryMismatches("Pay 1,250 EUR", { amount: 1250 })).toEqual([]);
    expect(summaryMismatches("Pay 12.5 EUR", { amount: "12.50" })).toEqual([]);
  });

  it("flags an identifier the params do not contain, and finds one in the resource or deep in the params", () => {
    expect(summaryMismatches("Refund $5 to cus_008", { amount: 5, customer: "cus_007" })).toEqual([{ text: "cus_008", kind: "identifier" }]);
    expect(summaryMismatches("Drop db:orders", {}, "db:orders")).toEqual([]);
    expect(summaryMismatches("Email ana@example.com", { to: [{ address: "Ana@Example.com" }] })).toEqual([]);
    expect(summaryMismatches("Close INV-2041", { invoice: "INV-2040" })).toEqual([{ text: "INV-2041", kind: "identifier" }]);
  });

  it("leaves plain words alone, and words with digits that prose uses (versions, ordinals, hex), and reports each mismatch once", () => {
    expect(summaryMismatches("Restart the web service", { service: "web" })).toEqual([]);
    expect(summaryMismatches("Deploy v2.3.1 for the 3rd time, build a1b2c3", { version: "2.3.1" })).toEqual([]);
    expect(summaryMismatches("Refund 7 and 7 again", { amount: 5 })).toEqual([{ text: "7", kind: "number" }]);
    // A digit inside a word elsewhere in the summary does not excuse the amount.
    expect(summaryMismatches("Refund $5 to cus_007 (ticket ebe85d)", { amount: 5000, customer: "cus_007" })).toEqual([{ text: "5", kind: "number" }]);
  });

  it("survives odd params: null, arrays, deep nesting, non-finite numbers", () => {
    let deep: unknown = 5;
    for (let i = 0; i < 200; i++) deep = { d: deep };
    expect(summaryMismatches("Refund 5", deep)).toEqual([{ text: "5", kind: "number" }]);
    expect(summaryMismatches("Refund 5", null)).toEqual([{ text: "5", kind: "number" }]);
    expect(summaryMismatches("Refund 5", [1, [2, [5]]])).toEqual([]);
  });
});
