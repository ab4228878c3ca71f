import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { LatencyResult } from "./latency.ts";
import type { PairResult, ThroughputSummary } from "./throughput.ts";
import type { ManyWaitersResult } from "./waiters.ts";

export interface Machine {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  os: string;
  postgres: string;
  loadAverageAtStart: number[];
  fileDescriptorLimit: string;
  date: string;
}

export interface BenchConfig {
  command: string;
  distDir: string;
  databasePoolSize: number;
  connections: number;
  warmupSeconds: number;
  durationSeconds: number;
  scenarioDurationSeconds: number;
  rounds: number;
  agents: number;
  bodies: { count: number; minBytes: number; medianBytes: number; maxBytes: number; actions: number };
  latencyRequests: number;
  waiters: number;
  decisionConcurrency: number;
}

export interface BenchResults {
  machine: Machine;
  config: BenchConfig;
  /** a = baseline, b = app. */
  throughput: PairResult;
  /** a = default configuration, b = webhook endpoint + containment rule. */
  features: PairResult & { deliveries: string; drainSeconds: number };
  /** a = 1 worker, b = 2 workers. */
  workers: PairResult;
  latency: LatencyResult;
  manyWaiters: ManyWaitersResult;
  targets: Record<string, { target: string; met: boolean }>;
  durationSeconds: number;
}

export function machineInfo(postgres: string, fileDescriptorLimit: string): Machine {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? "unknown",
    memoryGiB: Number((os.totalmem() / 2 ** 30).toFixed(1)),
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    postgres,
    loadAverageAtStart: os.loadavg().map((l) => Number(l.toFixed(2))),
    fileDescriptorLimit,
    date: new Date().toISOString(),
  };
}

export function evaluateTargets(r: Omit<BenchResults, "targets" | "durationSeconds">): BenchResults["targets"] {
  const app = r.throughput.b;
  const all = [r.throughput.b, r.features.a, r.features.b, r.workers.a, r.workers.b];
  return {
    throughput: { target: "≥ 1,000 req/s", met: app.medianRequestsPerSecond >= 1000 },
    ratio: { target: "≥ 0.5 × baseline", met: r.throughput.ratio >= 0.5 },
    non2xx: { target: "0 non-2xx", met: all.every((s) => s.totalNon2xx === 0 && s.totalErrors === 0) },
    featureCost: { target: "< 15 %", met: 1 - r.features.ratio < 0.15 },
    wakeP50: { target: "p50 < 10 ms", met: r.latency.wake.p50 < 10 },
    wakeP99: { target: "p99 < 50 ms", met: r.latency.wake.p99 < 50 },
    waiters: { target: `${r.manyWaiters.waiters}/${r.manyWaiters.waiters} answered as decided`, met: r.manyWaiters.correct === r.manyWaiters.waiters },
  };
}

/** Non-2xx statuses over all rounds, e.g. " (12×503)". */
function nonOk(s: ThroughputSummary): string {
  const counts = new Map<string, number>();
  for (const r of s.rounds) for (const [code, n] of Object.entries(r.statusCodes)) if (!code.startsWith("2")) counts.set(code, (counts.get(code) ?? 0) + n);
  return counts.size ? ` (${[...counts].map(([c, n]) => `${n}×${c}`).join(", ")})` : "";
}

const mark = (met: boolean) => (met ? "✅" : "❌");
const n0 = (n: number) => Math.round(n).toLocaleString("en-US");

/** A cost: how much lower b is than a. */
const pct = (ratio: number) => `${((1 - ratio) * 100).toFixed(1)} %`;
const rounds = (s: ThroughputSummary) => s.rounds.map((r) => n0(r.requestsPerSecond)).join(", ");
const line = (s: ThroughputSummary) =>
  `${n0(s.medianRequestsPerSecond)} req/s (rounds ${rounds(s)}), latency p50 ${s.medianLatencyP50Ms} ms / p99 ${s.medianLatencyP99Ms} ms, non-2xx ${s.totalNon2xx}${nonOk(s)}, errors ${s.totalErrors}`;

/** The summary, as a markdown block ready to paste into the README. */
export function markdown(r: BenchResults): string {
  const t = r.targets;
  const c = r.config;
  const m = r.machine;
  const l = r.latency;
  const w = r.manyWaiters;
  const f = r.features;
  const k = r.workers;
  const lines = [
    `Machine: ${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB RAM, ${m.os}; Node ${m.node}; ${m.postgres}; load average at start ${m.loadAverageAtStart.join(" / ")}; ${m.date}.`,
    `Command: \`${c.command}\` (production build in \`${c.distDir}\`, embedded PostgreSQL, \`DATABASE_POOL_SIZE=${c.databasePoolSize}\`; load generator, app, baseline and PostgreSQL on the same machine).`,
    `Load: ${c.connections} connections, ${c.agents} agents (key rotated per request), ${n0(c.bodies.count)} different bodies over ${c.bodies.actions} actions (${n0(c.bodies.minBytes)}–${n0(c.bodies.maxBytes)} B, median ${n0(c.bodies.medianBytes)} B); app in its default configuration (risk signals on) with only the per-agent rate and pending caps raised; ${c.rounds} interleaved rounds per arm.`,
    "",
    "| Benchmark | Result | Target | |",
    "|---|---|---|---|",
    `| Create request \`POST /api/v1/requests\`: app, median of ${c.rounds} × ${c.durationSeconds} s | **${line(r.throughput.b)}** | ${t.throughput.target}; 0 non-2xx | ${mark(t.throughput.met && t.non2xx.met)} |`,
    `| Baseline: bare \`node:http\` + \`pg\` pool, one INSERT per request, same database, bodies and load | ${line(r.throughput.a)} | — | |`,
    `| App / baseline | **${r.throughput.ratio.toFixed(2)} ×** (per-round pairs ${r.throughput.pairedRatio.toFixed(2)} ×) | ${t.ratio.target} | ${mark(t.ratio.met)} |`,
    `| Same load, default configuration (${c.rounds} × ${c.scenarioDurationSeconds} s) | ${line(f.a)} | — | |`,
    `| … with a webhook endpoint (local receiver, \`request.created\`) and an automatic containment rule | ${line(f.b)}; ${f.deliveries}; backlog drained ${f.drainSeconds} s after a round (median) | — | |`,
    `| Cost of webhook + containment | **${pct(f.ratio)}** (per-round pairs ${pct(f.pairedRatio)}) | ${t.featureCost.target} | ${mark(t.featureCost.met)} |`,
    `| \`COUNTERSIGN_WORKERS=1\` (${c.rounds} × ${c.scenarioDurationSeconds} s) | ${line(k.a)} | — | |`,
    `| \`COUNTERSIGN_WORKERS=2\` | ${line(k.b)} | — | |`,
    `| 2 workers / 1 worker | **${k.ratio.toFixed(2)} ×** (per-round pairs ${k.pairedRatio.toFixed(2)} ×) | — | |`,
    `| Decision → waiting agent answered (${l.requests} long-waits on keep-alive, decided one at a time) | **p50 ${l.wake.p50} ms, p99 ${l.wake.p99} ms**, max ${l.wake.max} ms; decision call itself p50 ${l.decisionRoundTrip.p50} ms / p99 ${l.decisionRoundTrip.p99} ms | p50 < 10 ms, p99 < 50 ms | ${mark(t.wakeP50.met && t.wakeP99.met)} |`,
    `| ${n0(w.waiters)} agents long-waiting at once on one app process: ${n0(w.approvedByReview)} approved through the review API (${w.decisionConcurrency} at a time), ${n0(w.cancelledBySuspension)} cancelled by suspending their ${w.suspendedAgents} agents${w.suspensionRetries.length ? ` (${w.suspensionRetries.length} suspensions answered ${w.suspensionRetries[0]} and were retried)` : ""} | **${n0(w.correct)}/${n0(w.waiters)}** answered with the right status${w.refusedAfterSuspension ? ` (${w.refusedAfterSuspension} of them 403 \`agent_suspended\`: they asked again after their agent's suspension)` : ""}${w.wrong ? ` (${w.pendingAfterFullWait} still \`pending\` after 5 waits of 60 s, ${w.otherWrong} other: ${w.wrongExamples.join("; ")})` : ""}; parked in ${(w.parkMs / 1000).toFixed(1)} s (${n0(w.rewaited)} waited again, as agents do, when their 60 s ran out first${w.clientTimeouts ? `; ${n0(w.clientTimeouts)} waits unanswered after 120 s and asked again` : ""}); first decision → last answer **${(w.decideAllMs / 1000).toFixed(1)} s** (wake p50 ${w.wake.p50} ms / p99 ${w.wake.p99} ms) | ${t.waiters.target} | ${mark(t.waiters.met)} |`,
    `| App process memory for the ${n0(w.waiters)} waits | RSS ${w.memory.beforeRssMiB.toFixed(0)} MiB before → **${w.memory.parkedRssMiB.toFixed(0)} MiB** all parked (**${w.memory.perWaiterKiB} KiB per waiter**), peak ${w.memory.peakRssMiB.toFixed(0)} MiB, ${w.memory.afterRssMiB.toFixed(0)} MiB after all answered | — | |`,
  ];
  return lines.join("\n");
}

export function writeJson(r: BenchResults, projectRoot: string): string {
  const dir = path.join(projectRoot, "bench", "results");
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, "latest.json");
  writeFileSync(file, `${JSON.stringify({ ...r, markdown: markdown(r) }, null, 2)}\n`);
  return file;
}
