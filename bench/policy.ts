/**
 * Policy engine benchmark: `node bin/run-ts.mjs bench/policy.ts` (after a
 * build; NEXT_DIST_DIR picks the build folder).
 *
 * 1. Evaluation cost per request with 200 rules, in process (median µs): the
 *    request passes every rule and falls through to the default, with a
 *    quarter of the rules evaluating a CEL condition on the way: the most
 *    work a request can cost.
 * 2. Create-request throughput against the real app with no rules, then with
 *    the same 200 rules imported (the import's NOTIFY reloads the app's cache).
 *
 * Knobs: BENCH_CONNECTIONS (50), BENCH_DURATION (5 s), BENCH_WARMUP (2 s), BENCH_ROUNDS (3).
 */
import { performance } from "node:perf_hooks";
import { BUILTIN_DEFAULTS, compileRule, decide, type RuleSet } from "../lib/policy/match-rules.ts";
import { importPolicyDocument } from "../lib/policy/policy-as-code.ts";
import type { PolicyRuleDefinition } from "../lib/policy/policy-document.ts";
import type { PolicyInput } from "../lib/policy/resolve-policy.ts";
import { requestBody } from "./setup.ts";
import { median, round } from "./stats.ts";
import { blast } from "./throughput.ts";
import { roundOptions, runBenchmark } from "./harness.ts";
import { withSeededApp } from "./seeded-app.ts";

const log = (line: string) => process.stdout.write(`${line}\n`);

/** 200 rules none of which matches the benchmark's request (payments.refund by bench-agent-NN). */
export function benchRules(count = 200): PolicyRuleDefinition[] {
  return Array.from({ length: count }, (_, i): PolicyRuleDefinition => {
    const name = `bench-rule-${String(i).padStart(3, "0")}`;
    switch (i % 4) {
      case 0:
        return {
          name,
          enabled: true,
          actions: ["payments.*"],
          condition: `params.amount > ${100_000 + i} || context.environment.name == 'staging-${i}'`,
          effect: "require_approval",
          approvals_required: 2,
        };
      case 1:
        return { name, enabled: true, actions: [`service${i}.*`, `service${i}-admin.write`], effect: "allow" };
      case 2:
        return {
          name,
          enabled: true,
          actions: ["payments.refund"],
          agents: { names: [`other-agent-${i}`], tags: [`team-${i}`] },
          effect: "deny",
          reason: "not this agent",
        };
      default:
        return { name, enabled: true, actions: [`ops.deploy${i}`], condition: "params.amount < 10", effect: "allow" };
    }
  });
}

function evaluationCost(): { medianMicros: number; p99Micros: number } {
  const ruleSet: RuleSet = {
    defaults: BUILTIN_DEFAULTS,
    rules: benchRules().map((definition, i) => compileRule({ id: `pol_bench${i}`, name: definition.name, version: 1, position: i, enabled: true, definition })),
  };
  const body = requestBody();
  const input: PolicyInput = {
    action: body.action as string,
    resource: body.resource as string,
    params: body.params as Record<string, unknown>,
    context: body.context as Record<string, unknown>,
    agent: { id: "agt_bench", name: "bench-agent-00", tags: ["bench"], trustLevel: "standard", ownerEmail: null },
  };
  const batch = 100;
  for (let i = 0; i < 2000; i++) decide(ruleSet, input, new Date());
  const samples: number[] = [];
  for (let s = 0; s < 300; s++) {
    const t0 = performance.now();
    for (let i = 0; i < batch; i++) {
      if (decide(ruleSet, input, new Date()).effect !== "require_approval") throw new Error("a bench rule matched");
    }
    samples.push(((performance.now() - t0) * 1000) / batch);
  }
  samples.sort((a, b) => a - b);
  return { medianMicros: round(median(samples), 1), p99Micros: round(samples[Math.floor(samples.length * 0.99)], 1) };
}

async function main(): Promise<void> {
  log("1. Policy evaluation, 200 rules, in process");
  const cost = evaluationCost();
  log(`  median ${cost.medianMicros} µs per request (p99 of 100-request batches ${cost.p99Micros} µs)`);

  await withSeededApp({ agents: 200, log, env: { COUNTERSIGN_AGENT_RATE_PER_MINUTE: "100000000", LOG_LEVEL: "warn" } }, async ({ app, agents }) => {
    const options = roundOptions(requestBody());
    const target = { name: "app" as const, url: app.url, keys: agents.map((a) => a.key) };

    // Rounds alternate between no rules and 200 rules, so drift in the machine's load hits both alike.
    const empty = { version: 1, rules: [] };
    const full = { version: 1, rules: benchRules() };
    log(`\n2. Create-request throughput, ${options.rounds} alternating rounds of ${options.durationSeconds} s: no rules vs 200 rules`);
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
        log(`  round ${i} ${label === "none" ? "no rules " : "200 rules"} ${r.requests.average.toFixed(0).padStart(6)} req/s  p50 ${r.latency.p50} ms`);
      }
    }
    const none = { medianRequestsPerSecond: round(median(rates.none), 1) };
    const withRules = { medianRequestsPerSecond: round(median(rates.rules), 1) };
    const cost200 = round(1 - withRules.medianRequestsPerSecond / none.medianRequestsPerSecond, 3);
    log(`\n## Policy benchmark\n`);
    log(`| measure | value |\n|---|---|`);
    log(`| evaluation, 200 rules (median) | ${cost.medianMicros} µs |`);
    log(`| create throughput, no rules | ${none.medianRequestsPerSecond} req/s |`);
    log(`| create throughput, 200 rules | ${withRules.medianRequestsPerSecond} req/s |`);
    log(`| throughput cost of 200 rules | ${round(cost200 * 100, 1)} % (target < 10 %) |`);
  });
}

runBenchmark("policy", main);
