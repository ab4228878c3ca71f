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
import { historyRules, plainRules, seedHistory } from "./history-rules.ts";
import { withSeededApp } from "./seeded-app.ts";
import { requestBody } from "./setup.ts";
import { median, round } from "./stats.ts";
import { blast } from "./throughput.ts";

const log = (line: string) => process.stdout.write(`${line}\n`);

/** In process: policy evaluation per request (median µs) over 200 rules, with the request's history totals prefetched. */
function evaluationCost(rules: PolicyRuleDefinition[], withTotals: boolean): number {
  const ruleSet: RuleSet = {
    defaults: BUILTIN_DEFAULTS,
    // Ids of their own per setting: compiled programs are kept by rule id and version.
    rules: rules.map((definition, i) =>
      compileRule({ id: `pol_hb${withTotals ? "h" : "p"}${i}`, name: definition.name, version: 1, position: i, enabled: true, definition }),
    ),
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

async function main(): Promise<void> {
  const plain = plainRules();
  log("1. Policy evaluation per request in process, 200 rules (median)");
  log(`  200 rules, history calls replaced by 0: ${evaluationCost(plain, false)} µs`);
  log(`  200 history rules (50 totals prefetched): ${evaluationCost(historyRules(), true)} µs`);
  await withSeededApp({ agents: 200, log, env: { COUNTERSIGN_AGENT_RATE_PER_MINUTE: "100000000", LOG_LEVEL: "warn" } }, async ({ app, agents, cpuMs }) => {
    await seedHistory();
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
    // Each round of a setting starts with its warm-up (BENCH_WARMUP, not
    // measured): rules change rarely in real use, and what an instance keeps
    // per rule set (compiled paths, which totals an action and agent read)
    // would otherwise be rebuilt inside the measured seconds of every round.
    const use = async (document: (typeof arms)[number]["document"]) => {
      await importPolicyDocument({ document, actor: "bench" });
      await blast(target, { ...options, durationSeconds: options.warmupSeconds });
    };
    const rates: Record<Arm, number[]> = { none: [], plain: [], history: [] };
    const cpu: Record<Arm, { app: number[]; db: number[] }> = { none: { app: [], db: [] }, plain: { app: [], db: [] }, history: { app: [], db: [] } };
    for (let i = 1; i <= options.rounds; i++) {
      for (let j = 0; j < arms.length; j++) {
        const arm = arms[(i + j) % arms.length];
        await use(arm.document);
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
    const cpuPerRequest = (k: Arm) => cpu[k].app.map((a, i) => a + cpu[k].db[i]);
    const cpuOf = (k: Arm) => round(median(cpuPerRequest(k)), 2);
    // Ratios are taken within each round (the three settings ran back to
    // back, under much the same machine load), then their median: slow
    // phases of a shared machine hit one round's settings alike, where
    // medians taken per setting first would set one setting's slow round
    // against another's fast one.
    const paired = (values: (k: Arm) => number[], k: Arm) => round(median(values(k).map((v, i) => v / values("none")[i])), 3);
    log(`\n## History conditions benchmark\n`);
    log(
      `| setting | created/s (median) | ratio to no rules (median of rounds) | CPU per request, app + PostgreSQL (median) | ratio (median of rounds) |\n|---|---|---|---|---|`,
    );
    for (const arm of arms) {
      log(`| ${arm.label} | ${rate(arm.key)} | ${paired((k) => rates[k], arm.key)} | ${cpuOf(arm.key)} ms | ${paired(cpuPerRequest, arm.key)} |`);
    }
    const cost = round((1 - paired((k) => rates[k], "history")) * 100, 1);
    log(`\nThroughput cost of 200 history rules: ${cost} % (target < 10 %)`);
    // Where the creates' history totals came from: memory (a snapshot still current) or a read.
    const exposition = await (await fetch(`${app.url}/api/metrics`)).text();
    const reads = (from: string) => Number(new RegExp(`^countersign_history_snapshots_total\\{from="${from}"\\} (\\d+)`, "m").exec(exposition)?.[1] ?? 0);
    log(`History snapshots: ${reads("memory")} from memory, ${reads("database")} read from the database`);
  });
}

runBenchmark("history", main);
