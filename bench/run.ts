/**
 * Countersign benchmark: `npm run bench` (after `npm run build`).
 *
 * Against the production build on a fresh embedded PostgreSQL, measures
 * create-request throughput beside a bare node:http + INSERT baseline,
 * decision-to-agent latency for long-waiting agents, and thousands of
 * simultaneous long-waits on one app process; prints a markdown summary and
 * writes bench/results/latest.json. Bounded: fixed durations and counts,
 * traffic to 127.0.0.1 only; the app and the database are stopped even on
 * failure.
 *
 * Knobs (environment): NEXT_DIST_DIR (default .next), BENCH_POOL_SIZE (app
 * and baseline pool, default 10), BENCH_CONNECTIONS (50), BENCH_DURATION
 * (10 s), BENCH_WARMUP (3 s), BENCH_ROUNDS (3), BENCH_LATENCY_REQUESTS (200),
 * BENCH_WAITERS (2000), BENCH_CPU_PROF=1 (writes the app's V8 CPU profile to
 * bench/results/profiles/).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import pg from "pg";
import { disconnectDb } from "../lib/db.ts";
import { resetEnv } from "../lib/env.ts";
import { PROJECT_ROOT } from "../lib/runtime/migrate.ts";
import { startTestApp, startTestDatabase, TEST_AUTH_SECRET, type TestApp, type TestDatabase } from "../test/support/test-server.ts";
import { startBaseline, type BaselineServer } from "./baseline.ts";
import { stopBounded } from "./stop.ts";
import { measureDecisionLatency } from "./latency.ts";
import { evaluateTargets, machineInfo, markdown, writeJson, type BenchConfig, type BenchResults } from "./report.ts";
import { keepAliveAgent } from "./http.ts";
import { pendingPool, requestBody, seed, signIn } from "./setup.ts";
import { round } from "./stats.ts";
import { measureThroughput } from "./throughput.ts";
import { measureManyWaiters } from "./waiters.ts";
import { envInt, runBenchmark } from "./harness.ts";

/** Decisions made (and waiters woken) before the latency samples start counting. */
const LATENCY_WARMUP = 20;

const log = (line: string) => process.stdout.write(`${line}\n`);

/** Soft and hard open-file limits, as the shell reports them. */
function fdLimits(): { soft: number; hard: number } {
  const out = spawnSync("sh", ["-c", "ulimit -Sn; ulimit -Hn"], { encoding: "utf8" }).stdout.trim().split("\n");
  const parse = (s: string | undefined) => (s === "unlimited" ? Infinity : Number(s));
  return { soft: parse(out[0]), hard: parse(out[1]) };
}

/**
 * 2,000 waiters need ~2,000 sockets here and ~2,000 in the app (plus pools):
 * if the soft limit is lower, re-run this script under `ulimit -n <hard>`
 * (raising the soft limit up to the hard one needs no privilege).
 */
function ensureFileDescriptors(waiters: number): string {
  const needed = waiters * 2 + 500;
  const { soft, hard } = fdLimits();
  const text = `soft ${soft}, hard ${hard}`;
  if (soft >= needed) return text;
  if (process.env.BENCH_FD_RAISED) throw new Error(`open-file limit still too low after raising it (${text}; need ${needed})`);
  if (hard < needed) throw new Error(`open-file hard limit ${hard} is below the ${needed} this run needs; lower BENCH_WAITERS`);
  log(`Open-file limit ${soft} < ${needed}: re-running under \`ulimit -n ${hard}\`.`);
  // Again through bin/run-ts.mjs, which loads TypeScript (process.argv holds only node and this script).
  const argv = [process.execPath, path.join(PROJECT_ROOT, "bin", "run-ts.mjs"), ...process.argv.slice(1)];
  const quoted = argv.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(" ");
  const res = spawnSync("sh", ["-c", `ulimit -n ${hard} && exec ${quoted}`], { stdio: "inherit", env: { ...process.env, BENCH_FD_RAISED: "1" } });
  process.exit(res.status ?? 1);
}

async function postgresVersion(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ server_version: string }>("show server_version");
    return `PostgreSQL ${rows[0].server_version} (embedded)`;
  } finally {
    await client.end();
  }
}

async function main(): Promise<void> {
  const started = performance.now();
  const distDir = process.env.NEXT_DIST_DIR || ".next";
  const config: BenchConfig = {
    command: `${distDir === ".next" ? "" : `NEXT_DIST_DIR=${distDir} `}npm run bench`,
    distDir,
    databasePoolSize: envInt("BENCH_POOL_SIZE", 10),
    connections: envInt("BENCH_CONNECTIONS", 50),
    warmupSeconds: envInt("BENCH_WARMUP", 3),
    durationSeconds: envInt("BENCH_DURATION", 10),
    rounds: envInt("BENCH_ROUNDS", 3),
    agents: 200,
    latencyRequests: envInt("BENCH_LATENCY_REQUESTS", 200),
    waiters: envInt("BENCH_WAITERS", 2000),
    decisionConcurrency: 20,
  };
  const fdText = ensureFileDescriptors(config.waiters);
  if (!existsSync(path.join(PROJECT_ROOT, distDir, "BUILD_ID"))) {
    throw new Error(`no production build in ${distDir}/: run \`npm run build\` first (or set NEXT_DIST_DIR to a built folder)`);
  }
  log(`Countersign benchmark — build ${distDir}, open files ${fdText}`);

  let database: TestDatabase | undefined;
  let app: TestApp | undefined;
  let baseline: BaselineServer | undefined;
  let cleaning: Promise<void> | undefined;
  const cleanup = () =>
    (cleaning ??= (async () => {
      await baseline?.stop().catch((e: Error) => log(`baseline stop failed: ${e.message}`));
      if (app) await stopBounded(app, log);
      await disconnectDb().catch(() => {});
      await database?.stop().catch((e: Error) => log(`database stop failed: ${e.message}`));
    })());
  const onSignal = (signal: NodeJS.Signals) => {
    log(`\n${signal}: stopping the app and the database...`);
    void cleanup().finally(() => process.exit(130));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);

  try {
    log("Starting embedded PostgreSQL...");
    database = await startTestDatabase();
    process.env.DATABASE_URL = database.url;
    process.env.AUTH_SECRET ??= TEST_AUTH_SECRET;
    resetEnv();
    const postgres = await postgresVersion(database.url);

    const { agents, reviewer } = await seed(config.agents);
    log(`Seeded ${agents.length} agents and a reviewer.`);

    const extraEnv: Record<string, string> = {
      NEXT_DIST_DIR: distDir,
      COUNTERSIGN_AGENT_RATE_PER_MINUTE: "100000000",
      DATABASE_POOL_SIZE: String(config.databasePoolSize),
      LOG_LEVEL: "warn",
    };
    if (process.env.BENCH_CPU_PROF === "1") {
      const dir = path.join(PROJECT_ROOT, "bench", "results", "profiles");
      mkdirSync(dir, { recursive: true });
      extraEnv.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ""} --require=${path.join(PROJECT_ROOT, "bench", "cpu-profile.cjs")}`.trim();
      extraEnv.BENCH_CPU_PROF_DIR = dir;
      log(`CPU profile of the app will be written to ${dir}`);
    }
    log("Starting the app (countersign start)...");
    app = await startTestApp(database.url, extraEnv);
    const appPid = app.process.pid!;
    const cookie = await signIn(app.url, reviewer);
    baseline = await startBaseline(database.url, config.databasePoolSize);
    log(`App ${app.url} (pid ${appPid}); baseline ${baseline.url} (pid ${baseline.process.pid}).`);
    const machine = machineInfo(postgres, fdText);

    log(
      `\n1. Create-request throughput: ${config.connections} connections, ${config.rounds} × ${config.durationSeconds} s per target after ${config.warmupSeconds} s warm-up`,
    );
    const keys = agents.map((a) => a.key);
    const [baseSummary, appSummary] = await measureThroughput(
      [
        { name: "baseline", url: baseline.url, keys },
        { name: "app", url: app.url, keys },
      ],
      {
        connections: config.connections,
        durationSeconds: config.durationSeconds,
        warmupSeconds: config.warmupSeconds,
        rounds: config.rounds,
        body: JSON.stringify(requestBody()),
      },
      log,
    );
    await baseline.stop();
    baseline = undefined;
    const ratio = round(appSummary.medianRequestsPerSecond / baseSummary.medianRequestsPerSecond, 3);

    const creator = keepAliveAgent();
    const pool = await pendingPool(app.url, database.url, agents, config.latencyRequests + LATENCY_WARMUP + config.waiters, creator);
    creator.destroy();
    log(`\nPending requests for the long-wait phases: ${pool.fromDatabase} left by the throughput phase, ${pool.created} created now.`);

    log(`\n2. Decision → waiting agent latency: ${config.latencyRequests} long-waits, decided one at a time`);
    const ctx = { baseUrl: app.url, appPid, cookie };
    const latency = await measureDecisionLatency(ctx, pool.take(config.latencyRequests + LATENCY_WARMUP), LATENCY_WARMUP, log);
    log(`  wake p50 ${latency.wake.p50} ms, p99 ${latency.wake.p99} ms, max ${latency.wake.max} ms (decision call p50 ${latency.decisionRoundTrip.p50} ms)`);

    log(`\n3. ${config.waiters} agents long-waiting at once, approved ${config.decisionConcurrency} at a time`);
    const manyWaiters = await measureManyWaiters(ctx, pool.take(config.waiters), config.decisionConcurrency, log);
    log(
      `  ${manyWaiters.correct}/${manyWaiters.waiters} approved with a grant (${manyWaiters.pendingAfterFullWait} pending after the full 60 s wait, ${manyWaiters.otherWrong} other); decide-all ${manyWaiters.decideAllMs} ms; peak RSS ${manyWaiters.memory.peakRssMiB} MiB`,
    );

    const partial = { machine, config, throughput: { baseline: baseSummary, app: appSummary, ratio }, latency, manyWaiters };
    const results: BenchResults = { ...partial, targets: evaluateTargets(partial), durationSeconds: 0 };
    await cleanup();
    results.durationSeconds = round((performance.now() - started) / 1000, 0);
    const file = writeJson(results, PROJECT_ROOT);
    log(`\n## Benchmark summary\n\n${markdown(results)}\n\nWhole run ${results.durationSeconds} s. JSON: ${path.relative(PROJECT_ROOT, file)}`);
    const missed = Object.entries(results.targets).filter(([, t]) => !t.met);
    if (missed.length) log(`\nTargets missed: ${missed.map(([k, t]) => `${k} (${t.target})`).join(", ")}`);
  } finally {
    await cleanup();
  }
}

runBenchmark("create-request", main);
