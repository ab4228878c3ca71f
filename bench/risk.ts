/**
 * Risk signals benchmark: `node bin/run-ts.mjs bench/risk.ts` (after a build;
 * NEXT_DIST_DIR picks the build folder).
 *
 * 1. computeRisk in process (median µs): the flags from a loaded history.
 * 2. Create-request throughput against two app processes on one database,
 *    one with risk signals on (history read before the insert, counters
 *    upserted in the insert statement) and one with COUNTERSIGN_RISK_SIGNALS=false,
 *    in alternating rounds so drift in the machine's load hits both alike. The
 *    idle process holds its memory but uses no CPU during the other's rounds.
 *    With BENCH_RISK_ALLOW=1 a rule allows every request, so each also
 *    updates the approval statistics (parameters, on_behalf_of, environment).
 *
 * Knobs: BENCH_CONNECTIONS (50), BENCH_DURATION (5 s), BENCH_WARMUP (2 s), BENCH_ROUNDS (3).
 */
import { performance } from "node:perf_hooks";
import { disconnectDb } from "../lib/db.ts";
import { resetEnv } from "../lib/env.ts";
import { closeHub } from "../lib/events/hub.ts";
import { importPolicyDocument } from "../lib/policy/policy-as-code.ts";
import { assessRisk } from "../lib/risk/assess-risk.ts";
import { recordRequest } from "../lib/risk/record-risk-history.ts";
import { addToStats, computeRisk, type RiskHistory } from "../lib/risk/compute-risk.ts";
import { startTestApp, startTestDatabase, TEST_AUTH_SECRET, type TestApp, type TestDatabase } from "../test/support/test-server.ts";
import { requestBody, seed } from "./setup.ts";
import { median, percentile, round } from "./stats.ts";
import { stopBounded } from "./stop.ts";
import { blast } from "./throughput.ts";
import { roundOptions, runBenchmark } from "./harness.ts";

const log = (line: string) => process.stdout.write(`${line}\n`);

function computeCost(): number {
  const body = requestBody();
  const history: RiskHistory = {
    actionRequestedBefore: true,
    actionApproved: 40,
    agentApproved: 40,
    params: new Map([["amount", [100, 250, 500, 900].reduce<ReturnType<typeof addToStats> | undefined>((s, v) => addToStats(s, v), undefined)!]]),
    onBehalfOfKnown: false,
    environment: { name: { known: false, seen: ["staging"] }, runtime: { known: true, seen: ["k8s"] } },
    recent: { requests: 40, minutes: 10 },
    hourlyMedian: 6,
  };
  const request = {
    agentName: "bench-agent-00",
    action: "payments.refund",
    params: body.params as Record<string, unknown>,
    context: body.context as Record<string, unknown>,
  };
  for (let i = 0; i < 5000; i++) computeRisk(request, history);
  const samples: number[] = [];
  for (let s = 0; s < 300; s++) {
    const t0 = performance.now();
    for (let i = 0; i < 100; i++) computeRisk(request, history);
    samples.push(((performance.now() - t0) * 1000) / 100);
  }
  return round(median(samples), 2);
}

async function main(): Promise<void> {
  log("1. computeRisk, in process");
  log(`  median ${computeCost()} µs per request`);

  const distDir = process.env.NEXT_DIST_DIR || ".next";
  let database: TestDatabase | undefined;
  const apps: TestApp[] = [];
  try {
    database = await startTestDatabase();
    process.env.DATABASE_URL = database.url;
    process.env.AUTH_SECRET ??= TEST_AUTH_SECRET;
    resetEnv();
    const { agents } = await seed(200);
    const common = { NEXT_DIST_DIR: distDir, COUNTERSIGN_AGENT_RATE_PER_MINUTE: "100000000", COUNTERSIGN_MAX_PENDING_PER_AGENT: "1000000", LOG_LEVEL: "warn" };
    const on = await startTestApp(database.url, { ...common, COUNTERSIGN_RISK_SIGNALS: "true" });
    apps.push(on);
    const off = await startTestApp(database.url, { ...common, COUNTERSIGN_RISK_SIGNALS: "false" });
    apps.push(off);
    const allow = process.env.BENCH_RISK_ALLOW === "1";
    if (allow) {
      await importPolicyDocument({
        document: { version: 1, rules: [{ name: "bench-allow", enabled: true, actions: ["payments.*"], effect: "allow" }] },
        actor: "bench",
      });
    }
    const options = roundOptions();
    const keys = agents.map((a) => a.key);
    const targets = { on: { name: "app" as const, url: on.url, keys }, off: { name: "app" as const, url: off.url, keys } };

    log(
      `\n2. Create-request throughput (${allow ? "allowed by a rule" : "pending"}), ${options.rounds} alternating rounds of ${options.durationSeconds} s: risk signals off vs on`,
    );
    await blast(targets.off, { ...options, durationSeconds: options.warmupSeconds });
    await blast(targets.on, { ...options, durationSeconds: options.warmupSeconds });
    const rates: { off: number[]; on: number[] } = { off: [], on: [] };
    const p50: { off: number[]; on: number[] } = { off: [], on: [] };
    for (let i = 1; i <= options.rounds; i++) {
      for (const label of i % 2 ? (["off", "on"] as const) : (["on", "off"] as const)) {
        const r = await blast(targets[label], options);
        if (r.non2xx || r.errors) log(`  warning: ${r.non2xx} non-2xx, ${r.errors} errors`);
        rates[label].push(r.requests.average);
        p50[label].push(r.latency.p50);
        log(`  round ${i} risk ${label.padEnd(3)} ${r.requests.average.toFixed(0).padStart(6)} req/s  p50 ${r.latency.p50} ms  p99 ${r.latency.p99} ms`);
      }
    }
    // The read a creation adds, alone: one round trip on an idle app, against the history the rounds left.
    const body = requestBody();
    const reads: number[] = [];
    for (let i = 0; i < 1000; i++) {
      const agent = agents[i % agents.length];
      const t0 = performance.now();
      await assessRisk({
        agent: { id: agent.agentId, name: agent.name },
        action: "payments.refund",
        resource: (body.resource as string | undefined) ?? null,
        summary: body.summary as string,
        justification: (body.justification as string | undefined) ?? null,
        params: body.params as Record<string, unknown>,
        context: body.context as Record<string, unknown>,
      });
      if (i >= 200) reads.push((performance.now() - t0) * 1000);
    }
    const readMedian = round(median(reads), 0);
    const readP99 = round(percentile(reads, 99), 0);
    log(`\n3. History read (assessRisk: one query and computeRisk), sequential: median ${readMedian} µs, p99 ${readP99} µs`);
    const writes: number[] = [];
    for (let i = 0; i < 1000; i++) {
      const agent = agents[i % agents.length];
      const t0 = performance.now();
      await recordRequest({ agentId: agent.agentId, action: "payments.refund", at: new Date() });
      if (i >= 200) writes.push((performance.now() - t0) * 1000);
    }
    log(`   History write (recordRequest), sequential: median ${round(median(writes), 0)} µs, p99 ${round(percentile(writes, 99), 0)} µs`);

    const offRate = round(median(rates.off), 1);
    const onRate = round(median(rates.on), 1);
    log(`\n## Risk signals benchmark\n`);
    log(`| measure | value |\n|---|---|`);
    log(`| create throughput, risk off (median) | ${offRate} req/s, p50 ${median(p50.off)} ms |`);
    log(`| create throughput, risk on (median) | ${onRate} req/s, p50 ${median(p50.on)} ms |`);
    log(`| throughput cost of risk signals (medians) | ${round((1 - onRate / offRate) * 100, 1)} % |`);
    // Each round's two arms ran back to back: their ratio is less exposed to the machine's drift than the medians.
    const paired = median(rates.on.map((r, i) => r / rates.off[i]));
    log(`| throughput cost of risk signals (median of per-round ratios) | ${round((1 - paired) * 100, 1)} % |`);
    log(`| history read per creation (median, p99) | ${readMedian} µs, ${readP99} µs |`);
  } finally {
    await closeHub().catch(() => {});
    for (const app of apps) await stopBounded(app, log);
    await disconnectDb().catch(() => {});
    await database?.stop().catch(() => {});
  }
}

runBenchmark("risk", main);
