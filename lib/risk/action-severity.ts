/**
 * What is at stake in an action, as admins say it (`db.drop_*` is critical,
 * `payments.*` high): a floor under the request's risk score, whatever its
 * history flags say. Pure, so the score and the console share it.
 */

export const ACTION_SEVERITIES = ["low", "medium", "high", "critical"] as const;
export type ActionSeverity = (typeof ACTION_SEVERITIES)[number];

export interface ActionSeverityRule {
  /** An action name, or a pattern where `*` stands for any characters (`db.drop_*`, `payments.*`, `*`). */
  pattern: string;
  severity: ActionSeverity;
}

/** The least risk score a request gets for its action's severity: critical ≥ 90, high ≥ 70, medium ≥ 40, low ≥ 10. */
export const SEVERITY_FLOOR: Record<ActionSeverity, number> = { low: 10, medium: 40, high: 70, critical: 90 };

export const SEVERITY_PATTERN = /^[a-z0-9*][a-z0-9_.:*-]*$/;

const compiled = new Map<string, RegExp>();

export function severityPatternMatches(pattern: string, action: string): boolean {
  let re = compiled.get(pattern);
  if (!re) {
    re = new RegExp(
      `^${pattern
        .split("*")
        .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
        .join(".*")}$`,
    );
    if (compiled.size > 1000) compiled.clear();
    compiled.set(pattern, re);
  }
  return re.test(action);
}

/** The most severe rule matching `action` (order does not matter: the higher stake wins), or null. */
export function severityOf(rules: readonly ActionSeverityRule[], action: string): ActionSeverityRule | null {
  let best: ActionSeverityRule | null = null;
  for (const rule of rules) {
    if (!severityPatternMatches(rule.pattern, action)) continue;
    if (!best || SEVERITY_FLOOR[rule.severity] > SEVERITY_FLOOR[best.severity]) best = rule;
  }
  return best;
}

/** Keeps only well-formed rules (a stored setting is read defensively). */
export function parseSeverityRules(value: unknown): ActionSeverityRule[] {
  if (!Array.isArray(value)) return [];
  return value.filter(
    (r): r is ActionSeverityRule =>
      typeof r === "object" &&
      r !== null &&
      typeof r.pattern === "string" &&
      SEVERITY_PATTERN.test(r.pattern) &&
      (ACTION_SEVERITIES as readonly string[]).includes(r.severity),
  );
}
