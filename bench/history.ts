/**
 * History conditions benchmark: `node bin/run-ts.mjs bench/history.ts` (after
 * a build; NEXT_DIST_DIR picks the build folder).
 *
 * Create-request throughput against the real app, in the default
 * configuration with the varied body pool (bench/bodies.ts), with no rules and
 * then with 200 rules that all read history (`history.count` / `history.sum`),
 * in alternating rounds of the same run. Every agent has a day of history
 * (5-minute buckets of refunds). Of the 200 rules, 100 select every agent's
 * payments requests (refunds and charges, about a third of the pool): those
 * requests are evaluated under the agent's history lock with one prefetch
 * query for 50 distinct totals; the other 100 select other agents or other
 * actions and cost nothing but the check that they do not apply. No rule
 * matches: every request falls through to the default, as with no rules.
 *
 * Knobs: BENCH_CONNECTIONS (50), BENCH_DURATION (5 s), BENCH_WARMUP (2 s), BENCH_ROUNDS (3).
 */
import { sql } from "kysely";
import { db, disconnectDb } from "../lib/db.ts";
import { resetEnv } from "../lib/env.ts";
import { closeHub } from "../lib/events/hub.ts";
import { importPolicyDocument } from "../lib/policy/policy-as-code.ts";
import type { PolicyRuleDefinition } from "../lib/policy/policy-document.ts";
import { startTestApp, startTestDatabase, TEST_AUTH_SECRET, type TestApp, type TestDatabase } from "../test/support/test-server.ts";
import { roundOptions, runBenchmark } from "./harness.ts";
import { seed } from "./setup.ts";
import { median, round } from "./stats.ts";
import { stopBounded } from "./stop.ts";
import { blast } from "./throughput.ts";

const log = (line: string) => process.stdout.write(`${line}\n`);

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

async function main(): Promise<void> {
  const distDir = process.env.NEXT_DIST_DIR || ".next";
  let database: TestDatabase | undefined;
  let app: TestApp | undefined;
  try {
    database = await startTestDatabase();
    process.env.DATABASE_URL = database.url;
    process.env.AUTH_SECRET ??= TEST_AUTH_SECRET;
    resetEnv();
    const { agents } = await seed(200);
    // A day of refunds for every agent: one bucket in 5 minutes, with amounts.
    await sql`INSERT INTO approval_history (agent_id, action, name, bucket, approvals, total)
      SELECT a.id, 'payments.refund', n.name, b.bucket, 1, CASE WHEN n.name = '' THEN 1 ELSE 10 + (extract(epoch FROM b.bucket)::bigint % 500) END
        FROM agents a
       CROSS JOIN generate_series(date_bin('5 minutes', now() - interval '24 hours', 'epoch'), now(), interval '5 minutes') AS b(bucket)
       CROSS JOIN (VALUES (''), ('amount')) AS n(name)`.execute(db());
    const rows = await db().selectFrom("approvalHistory").select(sql<number>`count(*)::int`.as("n")).executeTakeFirstOrThrow();
    log(`seeded ${rows.n} history rows for ${agents.length} agents`);
    app = await startTestApp(database.url, { NEXT_DIST_DIR: distDir, COUNTERSIGN_AGENT_RATE_PER_MINUTE: "100000000", LOG_LEVEL: "warn" });
    const options = roundOptions();
    const target = { name: "app" as const, url: app.url, keys: agents.map((a) => a.key) };

    // Rounds alternate between no rules and 200 history rules, so drift in the machine's load hits both alike.
    const empty = { version: 1, rules: [] };
    const full = { version: 1, rules: historyRules() };
    log(`\nCreate-request throughput, ${options.rounds} alternating rounds of ${options.durationSeconds} s: no rules vs 200 history rules`);
    await blast(target, { ...options, durationSeconds: options.warmupSeconds });
    const rates: { none: number[]; rules: number[] } = { none: [], rules: [] };
    for (let i = 1; i <= options.rounds; i++) {
      for (const [label, document] of [
        ["none", empty],
        ["rules", full],
      ] as const) {
        await importPolicyDocument({ document, actor: "bench" });
        const r = await blast(target, options);
        if (r.non2xx || r.errors) log(`  warning: ${r.non2xx} non-2xx, ${r.errors} errors`);
        rates[label].push(r.requests.average);
        log(
          `  round ${i} ${label === "none" ? "no rules         " : "200 history rules"} ${r.requests.average.toFixed(0).padStart(6)} req/s  p50 ${r.latency.p50} ms`,
        );
      }
    }
    const none = round(median(rates.none), 1);
    const withRules = round(median(rates.rules), 1);
    const cost = round((1 - withRules / none) * 100, 1);
    log(`\n## History conditions benchmark\n`);
    log(`| measure | value |\n|---|---|`);
    log(`| create throughput, no rules (median) | ${none} req/s |`);
    log(`| create throughput, 200 history rules (median) | ${withRules} req/s |`);
    log(`| ratio | ${round(withRules / none, 3)} |`);
    log(`| throughput cost of 200 history rules | ${cost} % (target < 10 %) |`);
  } finally {
    await closeHub().catch(() => {});
    if (app) await stopBounded(app, log);
    await disconnectDb().catch(() => {});
    await database?.stop().catch(() => {});
  }
}

runBenchmark("history", main);
