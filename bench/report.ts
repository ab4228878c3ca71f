import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { LatencyResult } from "./latency.ts";
import type { ThroughputSummary } from "./throughput.ts";
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
  rounds: number;
  agents: number;
  latencyRequests: number;
  waiters: number;
  decisionConcurrency: number;
}

export interface BenchResults {
  machine: Machine;
  config: BenchConfig;
  throughput: { baseline: ThroughputSummary; app: ThroughputSummary; ratio: number };
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
  const { app } = r.throughput;
  return {
    throughput: { target: "≥ 1,000 req/s", met: app.medianRequestsPerSecond >= 1000 },
    ratio: { target: "≥ 0.5 × baseline", met: r.throughput.ratio >= 0.5 },
    non2xx: { target: "0 non-2xx", met: app.totalNon2xx === 0 && app.totalErrors === 0 },
    wakeP50: { target: "p50 < 10 ms", met: r.latency.wake.p50 < 10 },
    wakeP99: { target: "p99 < 50 ms", met: r.latency.wake.p99 < 50 },
    waiters: { target: `${r.manyWaiters.waiters}/${r.manyWaiters.waiters} approved with a grant`, met: r.manyWaiters.correct === r.manyWaiters.waiters },
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

/** The summary, as a markdown block ready to paste into the README. */
export function markdown(r: BenchResults): string {
  const { baseline, app, ratio } = r.throughput;
  const t = r.targets;
  const c = r.config;
  const m = r.machine;
  const l = r.latency;
  const w = r.manyWaiters;
  const lines = [
    `Machine: ${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB RAM, ${m.os}; Node ${m.node}; ${m.postgres}; load average at start ${m.loadAverageAtStart.join(" / ")}; ${m.date}.`,
    `Command: \`${c.command}\` (production build in \`${c.distDir}\`, embedded PostgreSQL, app \`DATABASE_POOL_SIZE=${c.databasePoolSize}\`, load generator, app, baseline and PostgreSQL on the same machine).`,
    "",
    "| Benchmark | Result | Target | |",
    "|---|---|---|---|",
    `| Create request \`POST /api/v1/requests\`: app (${c.connections} connections, ${c.agents} agents, median of ${c.rounds} × ${c.durationSeconds} s) | **${n0(app.medianRequestsPerSecond)} req/s**, latency p50 ${app.medianLatencyP50Ms} ms / p99 ${app.medianLatencyP99Ms} ms, non-2xx ${app.totalNon2xx}${nonOk(app)}, errors ${app.totalErrors} | ${t.throughput.target}; 0 non-2xx | ${mark(t.throughput.met && t.non2xx.met)} |`,
    `| Baseline: bare \`node:http\` + \`pg\` pool, one INSERT per request, same database and load | ${n0(baseline.medianRequestsPerSecond)} req/s, latency p50 ${baseline.medianLatencyP50Ms} ms / p99 ${baseline.medianLatencyP99Ms} ms, non-2xx ${baseline.totalNon2xx} | — | |`,
    `| App / baseline | **${ratio.toFixed(2)} ×** | ${t.ratio.target} | ${mark(t.ratio.met)} |`,
    `| Decision → waiting agent answered (${l.requests} long-waits on keep-alive, decided one at a time) | **p50 ${l.wake.p50} ms, p99 ${l.wake.p99} ms**, max ${l.wake.max} ms; decision call itself p50 ${l.decisionRoundTrip.p50} ms / p99 ${l.decisionRoundTrip.p99} ms | p50 < 10 ms, p99 < 50 ms | ${mark(t.wakeP50.met && t.wakeP99.met)} |`,
    `| ${n0(w.waiters)} agents long-waiting at once on one app process, approved ${w.decisionConcurrency} at a time | **${n0(w.correct)}/${n0(w.waiters)}** answered \`approved\` with a grant token${w.wrong ? ` (${w.pendingAfterFullWait} answered \`pending\` when their 60 s wait ran out before their decision was made, ${w.otherWrong} other failures)` : ""}; parked in ${(w.parkMs / 1000).toFixed(1)} s, all approved and answered in ${(w.decideAllMs / 1000).toFixed(1)} s (${n0(w.decisionsPerSecond)} decisions/s; wake p50 ${w.wake.p50} ms / p99 ${w.wake.p99} ms) | ${t.waiters.target} | ${mark(t.waiters.met)} |`,
    `| App process memory during the ${n0(w.waiters)} waits | peak RSS **${w.memory.peakRssMiB.toFixed(0)} MiB** (${w.memory.startRssMiB.toFixed(0)} MiB before the waiters; lifetime VmHWM ${w.memory.hwmMiB.toFixed(0)} MiB; ${w.memory.children} child processes) | — | |`,
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
