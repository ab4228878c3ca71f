/**
 * The rule sets the history benchmark compares (bench/history.ts), also what
 * `BENCH_RULES=history|plain npm run bench:profile` profiles under.
 */
import { sql } from "kysely";
import { db } from "../lib/db.ts";
import type { PolicyRuleDefinition } from "../lib/policy/policy-document.ts";

/** 200 rules with history conditions, none of which matches a bench request. */
export function historyRules(count = 200): PolicyRuleDefinition[] {
  return Array.from({ length: count }, (_, i): PolicyRuleDefinition => {
    const name = `history-rule-${String(i).padStart(3, "0")}`;
    switch (i % 4) {
      case 0:
        // Refund limits per day, each with its own window (50 distinct totals to prefetch).
        return {
          name,
          enabled: true,
          actions: ["payments.refund"],
          condition: `history.sum("payments.refund", "amount", duration("${1 + (i % 200)}h")) + params.amount > ${1_000_000_000 + i}`,
          effect: "require_approval",
          approvals_required: 2,
        };
      case 1:
        return {
          name,
          enabled: true,
          actions: ["payments.charge"],
          condition: `history.count("payments.*", duration("1h")) > ${100_000 + i}`,
          effect: "deny",
          reason: "too many payments this hour",
        };
      case 2:
        return {
          name,
          enabled: true,
          actions: ["payments.refund"],
          agents: { names: [`other-agent-${i}`], tags: [`team-${i}`] },
          condition: `history.count("payments.refund", duration("24h")) > ${i}`,
          effect: "deny",
          reason: "not this agent",
        };
      default:
        return { name, enabled: true, actions: [`ops.deploy${i}`], condition: `history.count("ops.*", duration("1h")) < ${i}`, effect: "allow" };
    }
  });
}

/** The same rules with each history call replaced by 0 (0.0 for sums): what the history functions add. */
export function plainRules(): PolicyRuleDefinition[] {
  const plain = historyRules().map((r) => ({
    ...r,
    condition: r.condition?.replace(/history\.(\w+)\([^()]*duration\("[^"]*"\)\)/g, (_, fn) => (fn === "sum" ? "0.0" : "0")),
  }));
  if (plain.some((r) => r.condition?.includes("history"))) throw new Error("a history call was left in the plain rules");
  return plain;
}

/** A day of refunds for every agent: one bucket in 5 minutes, with amounts. */
export async function seedHistory(): Promise<void> {
  await sql`INSERT INTO approval_history (agent_id, action, name, bucket, approvals, total)
    SELECT a.id, 'payments.refund', n.name, b.bucket, 1, CASE WHEN n.name = '' THEN 1 ELSE 10 + (extract(epoch FROM b.bucket)::bigint % 500) END
      FROM agents a
     CROSS JOIN generate_series(date_bin('5 minutes', now() - interval '24 hours', 'epoch'), now(), interval '5 minutes') AS b(bucket)
     CROSS JOIN (VALUES (''), ('amount')) AS n(name)`.execute(db());
}
