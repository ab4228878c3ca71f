/**
 * Shadow rules benchmark: `npm run bench:shadow` (after a build; NEXT_DIST_DIR
 * picks the build folder).
 *
 * Create-request throughput against the real app in its default
 * configuration, with varied request bodies (bench/bodies.ts), and 0, 50 and
 * 200 shadow rules (`mode: shadow`) beside no enforced rules, in alternating
 * rounds so drift in the machine's load hits each alike. Every shadow rule is
 * evaluated for every request, and each match is written with the request
 * (`shadow_matches` and one `policy_shadow_hits` row): the rules are made so
 * that about one in ten matches a typical request, so the cost includes the
 * writes, not only evaluation. Also the in-process evaluation cost per request.
 *
 * Knobs: BENCH_CONNECTIONS (50), BENCH_DURATION (5 s), BENCH_WARMUP (2 s), BENCH_ROUNDS (3).
 */
import { performance } from "node:perf_hooks";
import { BUILTIN_DEFAULTS, compileRule, decide, withShadowIndex } from "../lib/policy/match-rules.ts";
import { importPolicyDocument } from "../lib/policy/policy-as-code.ts";
import type { PolicyRuleDefinition } from "../lib/policy/policy-document.ts";
import type { PolicyInput } from "../lib/policy/resolve-policy.ts";
import { bodyPool } from "./bodies.ts";
import { roundOptions, runBenchmark } from "./harness.ts";
import { withSeededApp } from "./seeded-app.ts";
import { median, round } from "./stats.ts";
import { blast } from "./throughput.ts";

const log = (line: string) => process.stdout.write(`${line}\n`);

/** `count` shadow rules; about one in ten matches a typical benchmark request. */
export function shadowRules(count: number): PolicyRuleDefinition[] {
  return Array.from({ length: count }, (_, i): PolicyRuleDefinition => {
    const name = `shadow-rule-${String(i).padStart(3, "0")}`;
    switch (i % 10) {
      case 0:
        // Matches payments.refund above a threshold (a large share of refunds).
        return { name, enabled: true, mode: "shadow", actions: ["payments.refund"], condition: `params.amount > ${i * 5}`, effect: "deny", reason: "trial" };
      case 1:
        return { name, enabled: true, mode: "shadow", actions: ["payments.*"], condition: `params.amount > ${1_000_000 + i}`, effect: "require_approval" };
      case 2:
        return { name, enabled: true, mode: "shadow", actions: [`service${i}.*`], effect: "allow" };
      case 3:
        return { name, enabled: true, mode: "shadow", actions: ["payments.refund"], agents: { names: [`other-agent-${i}`] }, effect: "deny" };
      case 4:
        return { name, enabled: true, mode: "shadow", actions: ["db.*"], condition: `context.environment.name == 'staging-${i}'`, effect: "deny" };
      case 5:
        return { name, enabled: true, mode: "shadow", actions: ["email.send"], condition: `size(params) > ${100 + i}`, effect: "allow" };
      case 6:
        return { name, enabled: true, mode: "shadow", actions: [`ops.deploy${i}`], effect: "allow" };
      case 7:
        return { name, enabled: true, mode: "shadow", actions: ["files.delete"], agents: { tags: [`team-${i}`] }, effect: "deny" };
      case 8:
        return { name, enabled: true, mode: "shadow", actions: ["deploy.*"], condition: `params.amount < ${i}`, effect: "allow" };
      default:
        return { name, enabled: true, mode: "shadow", actions: [`svc${i}.write`], effect: "require_approval" };
    }
  });
}

function evaluationCost(count: number): number {
  const ruleSet = withShadowIndex({
    defaults: BUILTIN_DEFAULTS,
    rules: shadowRules(count).map((definition, i) =>
      compileRule({ id: `pol_shadow${i}`, name: definition.name, version: 1, position: i, enabled: true, definition }),
    ),
  });
  const inputs: PolicyInput[] = bodyPool(512).bodies.map((b) => {
    const body = JSON.parse(b);
    return {
      action: body.action,
      resource: body.resource ?? null,
      params: body.params ?? {},
      context: body.context ?? {},
      agent: { id: "agt_bench", name: "bench-agent-00", tags: ["bench"], trustLevel: "standard", ownerEmail: null },
    };
  });
  for (let i = 0; i < 2000; i++) decide(ruleSet, inputs[i % inputs.length], new Date());
  const samples: number[] = [];
  for (let s = 0; s < 200; s++) {
    const t0 = performance.now();
    for (let i = 0; i < 100; i++) decide(ruleSet, inputs[(s * 100 + i) % inputs.length], new Date());
    samples.push(((performance.now() - t0) * 1000) / 100);
  }
  return round(median(samples), 1);
}

async function main(): Promise<void> {
  log("1. Policy evaluation in process, varied requests (median µs per request)");
  const costs = Object.fromEntries([0, 50, 200].map((n) => [n, evaluationCost(n)]));
  log(`  0 shadow rules ${costs[0]} µs · 50: ${costs[50]} µs · 200: ${costs[200]} µs`);

  await withSeededApp(
    { agents: 200, log, env: { COUNTERSIGN_AGENT_RATE_PER_MINUTE: "100000000", COUNTERSIGN_MAX_PENDING_PER_AGENT: "1000000", LOG_LEVEL: "warn" } },
    async ({ app, agents }) => {
      // Default configuration, but for the per-agent rate and pending caps (as bench/run.ts): the load would be throttled by design.
      // Varied bodies: several actions, amounts, shapes and sizes.
      const options = roundOptions();
      const target = { name: "app" as const, url: app.url, keys: agents.map((a) => a.key) };
      const counts = [0, 50, 200] as const;
      log(`\n2. Create-request throughput, ${options.rounds} alternating rounds of ${options.durationSeconds} s: 0 vs 50 vs 200 shadow rules`);
      await blast(target, { ...options, durationSeconds: options.warmupSeconds });
      const rates: Record<number, number[]> = { 0: [], 50: [], 200: [] };
      for (let i = 1; i <= options.rounds; i++) {
        for (const n of counts) {
          await importPolicyDocument({ document: { version: 1, rules: shadowRules(n) }, actor: "bench" });
          const r = await blast(target, options);
          if (r.non2xx || r.errors) log(`  warning: ${r.non2xx} non-2xx, ${r.errors} errors`);
          // Only requests the app accepted count: a refusal is cheaper than a create.
          const rate = r["2xx"] / r.duration;
          rates[n].push(rate);
          log(`  round ${i} ${String(n).padStart(3)} shadow rules ${rate.toFixed(0).padStart(6)} req/s  p50 ${r.latency.p50} ms`);
        }
      }
      const med = (n: number) => round(median(rates[n]), 1);
      log("\n## Shadow rules benchmark\n");
      log("| shadow rules | evaluation (median) | create throughput (median) | ratio to 0 |\n|---|---|---|---|");
      for (const n of counts) log(`| ${n} | ${costs[n]} µs | ${med(n)} req/s | ${round(med(n) / med(0), 3)} |`);
    },
  );
}

runBenchmark("shadow", main);
