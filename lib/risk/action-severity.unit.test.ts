import { describe, expect, it } from "vitest";
import { parseSeverityRules, severityOf, severityPatternMatches } from "./action-severity.ts";

describe("action severity patterns", () => {
  it("matches * as any characters, dots included, and nothing else loosely", () => {
    expect(severityPatternMatches("db.drop_*", "db.drop_database")).toBe(true);
    expect(severityPatternMatches("db.drop_*", "db.drop_")).toBe(true);
    expect(severityPatternMatches("db.drop_*", "db.dropdatabase")).toBe(false);
    expect(severityPatternMatches("payments.*", "payments.refund.partial")).toBe(true);
    expect(severityPatternMatches("payments.*", "paymentsx.refund")).toBe(false);
    expect(severityPatternMatches("a.b", "aXb")).toBe(false);
    expect(severityPatternMatches("*", "anything")).toBe(true);
  });

  it("takes the most severe match, whatever the order", () => {
    const rules = [
      { pattern: "db.*", severity: "medium" as const },
      { pattern: "db.drop_*", severity: "critical" as const },
      { pattern: "*", severity: "low" as const },
    ];
    expect(severityOf(rules, "db.drop_table")?.severity).toBe("critical");
    expect(severityOf([...rules].reverse(), "db.drop_table")?.severity).toBe("critical");
    expect(severityOf(rules, "db.select")?.severity).toBe("medium");
    expect(severityOf(rules.slice(0, 2), "mail.send")).toBeNull();
  });

  it("reads a stored setting defensively", () => {
    expect(parseSeverityRules(null)).toEqual([]);
    expect(
      parseSeverityRules([{ pattern: "db.*", severity: "high" }, { pattern: "BAD PATTERN", severity: "high" }, { pattern: "x", severity: "extreme" }, 7]),
    ).toEqual([{ pattern: "db.*", severity: "high" }]);
  });
});
