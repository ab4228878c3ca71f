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
import { performance } from "node:perf_hooks";
import { db } from "../lib/db.ts";
import { loadHistoryTotals } from "../lib/history/approval-history.ts";
import { conditionHistoryNeeds } from "../lib/policy/cel.ts";
import { historyKey } from "../lib/policy/history-conditions.ts";
import { BUILTIN_DEFAULTS, compileRule, decide, historyNeedsFor, type RuleSet } from "../lib/policy/match-rules.ts";
import type { PolicyInput } from "../lib/policy/resolve-policy.ts";
import { importPolicyDocument } from "../lib/policy/policy-as-code.ts";
import type { PolicyRuleDefinition } from "../lib/policy/policy-document.ts";
import { roundOptions, runBenchmark } from "./harness.ts";
import { withSeededApp } from "./seeded-app.ts";
import { requestBody } from "./setup.ts";
import { median, round } from "./stats.ts";
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

/** In process: policy evaluation per request (median µs) over 200 rules, with the request's history totals prefetched. */
function evaluationCost(rules: PolicyRuleDefinition[], withTotals: boolean): number {
  const ruleSet: RuleSet = {
    defaults: BUILTIN_DEFAULTS,
    rules: rules.map((definition, i) => compileRule({ id: `pol_hb${i}`, name: definition.name, version: 1, position: i, enabled: true, definition })),
  };
  const body = requestBody();
  const input: PolicyInput = {
    action: body.action as string,
    resource: body.resource as string,
    params: body.params as Record<string, unknown>,
    context: body.context as Record<string, unknown>,
    agent: { id: "agt_bench", name: "bench-agent-00", tags: ["bench"], trustLevel: "standard", ownerEmail: null },
  };
  const run = () => {
    const { needs } = historyNeedsFor(ruleSet.rules, input);
    const totals = withTotals ? new Map(needs.map((n) => [historyKey(n), n.kind === "count" ? 3n : 1234.5] as const)) : null;
    return decide(ruleSet, input, new Date(), totals);
  };
  for (let i = 0; i < 2000; i++) run();
  const samples: number[] = [];
  for (let s = 0; s < 200; s++) {
    const t0 = performance.now();
    for (let i = 0; i < 100; i++) if (run().effect !== "require_approval") throw new Error("a bench rule matched");
    samples.push(((performance.now() - t0) * 1000) / 100);
  }
  return round(median(samples), 1);
}

/** The same rules with each history call replaced by 0 (0.0 for sums): what the history functions add. */
function plainRules(): PolicyRuleDefinition[] {
  const plain = historyRules().map((r) => ({
    ...r,
    condition: r.condition?.replace(/history\.(\w+)\([^()]*duration\("[^"]*"\)\)/g, (_, fn) => (fn === "sum" ? "0.0" : "0")),
  }));
  if (plain.some((r) => r.condition?.includes("history"))) throw new Error("a history call was left in the plain rules");
  return plain;
}

async function main(): Promise<void> {
  const plain = plainRules();
  log("1. Policy evaluation per request in process, 200 rules (median)");
  log(`  200 rules, history calls replaced by 0: ${evaluationCost(plain, false)} µs`);
  log(`  200 history rules (50 totals prefetched): ${evaluationCost(historyRules(), true)} µs`);
  await withSeededApp({ agents: 200, log, env: { COUNTERSIGN_AGENT_RATE_PER_MINUTE: "100000000", LOG_LEVEL: "warn" } }, async ({ app, agents, cpuMs }) => {
    // A day of refunds for every agent: one bucket in 5 minutes, with amounts.
    await sql`INSERT INTO approval_history (agent_id, action, name, bucket, approvals, total)
    SELECT a.id, 'payments.refund', n.name, b.bucket, 1, CASE WHEN n.name = '' THEN 1 ELSE 10 + (extract(epoch FROM b.bucket)::bigint % 500) END
      FROM agents a
     CROSS JOIN generate_series(date_bin('5 minutes', now() - interval '24 hours', 'epoch'), now(), interval '5 minutes') AS b(bucket)
     CROSS JOIN (VALUES (''), ('amount')) AS n(name)`.execute(db());
    const rows = await db().selectFrom("approvalHistory").select(sql<number>`count(*)::int`.as("n")).executeTakeFirstOrThrow();
    log(`seeded ${rows.n} history rows for ${agents.length} agents`);
    // The one prefetch query a refund request costs under the 200 rules: 50 distinct totals over up to 50 hours.
    const needs = [
      ...new Map(
        historyRules()
          .flatMap((r) => (r.actions.includes("payments.refund") && !r.agents ? conditionHistoryNeeds(r.condition ?? "true") : []))
          .map((n) => [historyKey(n), n]),
      ).values(),
    ];
    // Interleaved with a bare round trip (SELECT 1) and a prefetch of 2 totals, so machine load hits all three alike.
    const ms: Record<"roundTrip" | "two" | "all", number[]> = { roundTrip: [], two: [], all: [] };
    const time = async (key: keyof typeof ms, work: () => Promise<unknown>) => {
      const t0 = performance.now();
      await work();
      ms[key].push(performance.now() - t0);
    };
    for (let i = 0; i < 200; i++) {
      const agentId = agents[i % agents.length].agentId;
      await time("roundTrip", () => sql`SELECT 1`.execute(db()));
      await time("two", () => loadHistoryTotals(db(), agentId, needs.slice(0, 2), new Date()));
      await time("all", () => loadHistoryTotals(db(), agentId, needs, new Date()));
    }
    const med = (k: keyof typeof ms) => round(median(ms[k]), 2);
    log(
      `2. History prefetch over a day of 5-minute buckets (median): ${needs.length} totals ${med("all")} ms, 2 totals ${med("two")} ms, bare round trip ${med("roundTrip")} ms`,
    );
    const options = roundOptions();
    const target = { name: "app" as const, url: app.url, keys: agents.map((a) => a.key) };

    // Rounds alternate between no rules, the 200 rules with history calls
    // replaced by constants, and the 200 history rules, each round in another
    // order, so drift in the machine's load (and the backlog of pending
    // requests growing through the run) hits all three alike; the middle one
    // tells what the rules cost without history. Besides throughput, the CPU
    // time the app and PostgreSQL spent per created request: less sensitive
    // to what else runs on the machine.
    const arms = [
      { key: "none", label: "no rules", document: { version: 1, rules: [] } },
      { key: "plain", label: "200 rules, history calls as 0", document: { version: 1, rules: plain } },
      { key: "history", label: "200 history rules", document: { version: 1, rules: historyRules() } },
    ] as const;
    type Arm = (typeof arms)[number]["key"];
    log(`\n3. Create-request throughput, ${options.rounds} rounds of ${options.durationSeconds} s per setting: ${arms.map((a) => a.label).join(", ")}`);
    await blast(target, { ...options, durationSeconds: options.warmupSeconds });
    const rates: Record<Arm, number[]> = { none: [], plain: [], history: [] };
    const cpu: Record<Arm, { app: number[]; db: number[] }> = { none: { app: [], db: [] }, plain: { app: [], db: [] }, history: { app: [], db: [] } };
    for (let i = 1; i <= options.rounds; i++) {
      for (let j = 0; j < arms.length; j++) {
        const arm = arms[(i + j) % arms.length];
        await importPolicyDocument({ document: arm.document, actor: "bench" });
        const before = cpuMs();
        const r = await blast(target, options);
        const after = cpuMs();
        const statuses = Object.entries(r.statusCodeStats).map(([code, { count }]) => `${code}: ${count}`);
        if (r.non2xx || r.errors) log(`  warning: ${r.non2xx} non-2xx, ${r.errors} errors (${statuses.join(", ")})`);
        // Created requests per second: a refusal (429, 503) is not throughput.
        const created = r["2xx"] / r.duration;
        rates[arm.key].push(created);
        cpu[arm.key].app.push((after.app - before.app) / r["2xx"]);
        cpu[arm.key].db.push((after.db - before.db) / r["2xx"]);
        log(
          `  round ${i} ${arm.label.padEnd(30)} ${created.toFixed(0).padStart(6)} created/s  p50 ${r.latency.p50} ms  CPU per request: app ${cpu[arm.key].app.at(-1)!.toFixed(2)} ms, PostgreSQL ${cpu[arm.key].db.at(-1)!.toFixed(2)} ms`,
        );
      }
    }
    const rate = (k: Arm) => round(median(rates[k]), 1);
    const cpuOf = (k: Arm) => round(median(cpu[k].app.map((a, i) => a + cpu[k].db[i])), 2);
    const cost = round((1 - rate("history") / rate("none")) * 100, 1);
    log(`\n## History conditions benchmark\n`);
    log(`| setting | created/s (median) | ratio | CPU per request, app + PostgreSQL (median) | ratio |\n|---|---|---|---|---|`);
    for (const arm of arms) {
      log(
        `| ${arm.label} | ${rate(arm.key)} | ${round(rate(arm.key) / rate("none"), 3)} | ${cpuOf(arm.key)} ms | ${round(cpuOf(arm.key) / cpuOf("none"), 3)} |`,
      );
    }
    log(`\nThroughput cost of 200 history rules: ${cost} % (target < 10 %)`);
  });
}

runBenchmark("history", main);
