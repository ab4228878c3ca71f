/**
 * Where does create-request time go? `node bin/run-ts.mjs bench/profile.ts`
 * (after a build; honours NEXT_DIST_DIR). Starts a fresh database and the app
 * under `--cpu-prof`, drives POST /api/v1/requests with autocannon, and
 * meanwhile samples PostgreSQL's pg_stat_activity (what every backend is
 * doing or waiting on) and the CPU time of the app and of PostgreSQL. Prints
 * the app's hottest functions and packages, the wait-event mix and the
 * statements seen running. Bounded like bench/run.ts.
 *
 * BENCH_RULES=history (or plain) profiles under the history benchmark's 200
 * rules (bench/history-rules.ts) and its day of history per agent; the
 * default is no rules.
 */
import { readFileSync, readdirSync, mkdirSync, statSync } from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import pg from "pg";
import { disconnectDb } from "../lib/db.ts";
import { DEFAULT_DATABASE_POOL_SIZE, resetEnv } from "../lib/env.ts";
import { PROJECT_ROOT } from "../lib/runtime/migrate.ts";
import { startTestApp, startTestDatabase, TEST_AUTH_SECRET, type TestApp, type TestDatabase } from "../test/support/test-server.ts";
import { cpuTicks, postgresCpuTicks } from "./proc.ts";
import { seed } from "./setup.ts";
import { bodyPool } from "./bodies.ts";
import { stopBounded } from "./stop.ts";
import { blast } from "./throughput.ts";
import { runBenchmark } from "./harness.ts";
import { historyRules, plainRules, seedHistory } from "./history-rules.ts";
import { importPolicyDocument } from "../lib/policy/policy-as-code.ts";

const log = (l: string) => process.stdout.write(`${l}\n`);
const seconds = Number(process.env.BENCH_DURATION ?? 10);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);
const warmupSeconds = Number(process.env.BENCH_WARMUP ?? 3);
const poolSize = Number(process.env.BENCH_POOL_SIZE ?? DEFAULT_DATABASE_POOL_SIZE);

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

/** Self time by function and by package, over the samples taken between `fromEndS` and `toEndS` seconds before the profile ended. */
function summarizeProfile(file: string, fromEndS: number, toEndS: number): void {
  const prof = JSON.parse(readFileSync(file, "utf8")) as { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number };
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  const lo = prof.endTime - fromEndS * 1e6;
  const hi = prof.endTime - toEndS * 1e6;
  let t = prof.startTime;
  prof.samples.forEach((id, i) => {
    t += prof.timeDeltas[i] ?? 0;
    if (t >= lo && t <= hi) self.set(id, (self.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0));
  });
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const fn = new Map<string, number>();
  const pkg = new Map<string, number>();
  for (const [id, us] of self) {
    const n = byId.get(id)!;
    const url = n.callFrame.url;
    const where = url.replace(/^file:\/\//, "").replace(`${PROJECT_ROOT}/`, "");
    const name = `${n.callFrame.functionName || "(anonymous)"}  ${where ? `${where}:${n.callFrame.lineNumber + 1}` : ""}`;
    fn.set(name, (fn.get(name) ?? 0) + us);
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
    const group =
      n.callFrame.functionName === "(idle)"
        ? "(idle)"
        : n.callFrame.functionName === "(garbage collector)"
          ? "(gc)"
          : m
            ? m[1]
            : url.startsWith("node:")
              ? "node internals"
              : url
                ? where.split("/").slice(0, 2).join("/") || where
                : `(${n.callFrame.functionName || "native"})`;
    pkg.set(group, (pkg.get(group) ?? 0) + us);
  }
  const top = (m: Map<string, number>, k: number) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, k)
      .map(([name, us]) => `  ${((100 * us) / total).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${name}`);
  log(`\nApp CPU profile ${path.relative(PROJECT_ROOT, file)}, main thread, measured window only: ${(total / 1e6).toFixed(1)} s sampled`);
  log("By package / area (self time):");
  for (const l of top(pkg, 20)) log(l);
  log("Hottest functions (self time):");
  for (const l of top(fn, 30)) log(l);
}

async function main(): Promise<void> {
  let database: TestDatabase | undefined;
  let app: TestApp | undefined;
  const onSignal = (code: number) => () => {
    app?.process.kill("SIGKILL");
    process.exit(code);
  };
  process.once("SIGINT", onSignal(130));
  process.once("SIGTERM", onSignal(143));
  const distDir = process.env.NEXT_DIST_DIR || ".next";
  const profDir = path.join(PROJECT_ROOT, "bench", "results", "profiles");
  mkdirSync(profDir, { recursive: true });
  try {
    database = await startTestDatabase();
    process.env.DATABASE_URL = database.url;
    process.env.AUTH_SECRET ??= TEST_AUTH_SECRET;
    resetEnv();
    const { agents } = await seed(200);
    const rules = process.env.BENCH_RULES;
    if (rules === "history" || rules === "plain") {
      await seedHistory();
      await importPolicyDocument({ document: { version: 1, rules: rules === "history" ? historyRules() : plainRules() }, actor: "bench" });
      log(`under the history benchmark's 200 rules (${rules})`);
    } else if (rules) throw new Error(`BENCH_RULES is history or plain, not ${rules}`);
    const startedAt = Date.now();
    app = await startTestApp(database.url, {
      NEXT_DIST_DIR: distDir,
      COUNTERSIGN_AGENT_RATE_PER_MINUTE: "100000000",
      DATABASE_POOL_SIZE: String(poolSize),
      LOG_LEVEL: "warn",
      NODE_OPTIONS: `--require=${path.join(PROJECT_ROOT, "bench", "cpu-profile.cjs")}`,
      BENCH_CPU_PROF_DIR: profDir,
    });
    const pid = app.process.pid!;
    const target = { name: "app" as const, url: app.url, keys: agents.map((a) => a.key) };
    const bodies = bodyPool().bodies;
    log(`warm-up ${warmupSeconds} s, then ${seconds} s at ${connections} connections (pool ${poolSize})`);
    await blast(target, { connections, durationSeconds: warmupSeconds, bodies });

    const monitor = new pg.Client({ connectionString: database.url });
    await monitor.connect();
    const { rows: pgPids } = await monitor.query<{ pid: number }>(
      "select pid from pg_stat_activity where backend_type = 'postmaster' or pid = pg_backend_pid()",
    );
    void pgPids;
    const waits = new Map<string, number>();
    const statements = new Map<string, number>();
    let samples = 0;
    let sampling = true;
    const { dataDir } = database;
    const pgTicks = () => postgresCpuTicks(dataDir);
    const appTicks0 = cpuTicks(pid);
    const pgTicks0 = pgTicks();
    const selfTicks0 = process.cpuUsage();
    const sampler = (async () => {
      while (sampling) {
        const { rows } = await monitor.query<{ state: string; wait: string | null; query: string }>(
          `select state, coalesce(wait_event_type || ':' || wait_event, null) as wait, left(regexp_replace(query, '\\s+', ' ', 'g'), 90) as query
             from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid() and backend_type = 'client backend'`,
        );
        samples++;
        for (const r of rows) {
          const k = `${r.state}${r.wait ? ` / ${r.wait}` : ""}`;
          waits.set(k, (waits.get(k) ?? 0) + 1);
          if (r.state === "active" || r.state === "idle in transaction")
            statements.set(`${r.state}: ${r.query}`, (statements.get(`${r.state}: ${r.query}`) ?? 0) + 1);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const result = await blast(target, { connections, durationSeconds: seconds, bodies });
    const blastEnded = performance.now();
    sampling = false;
    await sampler;
    await monitor.end();
    const tick = 10; // ms per clock tick (CLK_TCK 100)
    const wall = result.duration * 1000;
    const self = process.cpuUsage(selfTicks0);
    log(`\n${(result["2xx"] / result.duration).toFixed(0)} req/s, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, non-2xx ${result.non2xx}`);
    log(
      `CPU over the run (100% = one core): app ${(((cpuTicks(pid) - appTicks0) * tick * 100) / wall).toFixed(0)}%, PostgreSQL ${(((pgTicks() - pgTicks0) * tick * 100) / wall).toFixed(0)}%, load generator ${((((self.user + self.system) / 1000) * 100) / wall).toFixed(0)}%`,
    );
    log(`CPU per created request: app ${(((cpuTicks(pid) - appTicks0) * tick) / result["2xx"]).toFixed(2)} ms`);
    log(`\nBackends of the app (pg_stat_activity, ${samples} samples every 50 ms; average count per sample):`);
    for (const [k, n] of [...waits.entries()].sort((a, b) => b[1] - a[1])) log(`  ${(n / samples).toFixed(2).padStart(6)}  ${k}`);
    log("Statements seen active / idle in transaction (average count per sample):");
    for (const [k, n] of [...statements.entries()].sort((a, b) => b[1] - a[1]).slice(0, 15)) log(`  ${(n / samples).toFixed(2).padStart(6)}  ${k}`);

    await stopBounded(app, log);
    app = undefined;
    const stopDelayS = (performance.now() - blastEnded) / 1000;
    const newest = readdirSync(profDir)
      .filter((f) => f.endsWith(".cpuprofile"))
      .map((f) => path.join(profDir, f))
      .filter((f) => statSync(f).mtimeMs >= startedAt)
      .sort((a, b) => statSync(b).size - statSync(a).size)[0];
    if (newest) summarizeProfile(newest, stopDelayS + result.duration, stopDelayS);
    else log("no CPU profile was written");
  } finally {
    if (app) await stopBounded(app, log);
    await disconnectDb().catch(() => {});
    await database?.stop().catch(() => {});
  }
}

runBenchmark("profile", main);
