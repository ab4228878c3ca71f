/**
 * Countersign benchmark: `npm run bench` (after `npm run build`); this script
 * alone: `node bin/run-ts.mjs bench/run.ts`.
 *
 * Against the production build on a fresh embedded PostgreSQL, with the load
 * users put on it: 50 connections, 200 agents, request bodies drawn from a
 * pool of a few thousand that differ in action, amounts, resources,
 * summaries, parameter shapes and sizes (bench/bodies.ts), the app in its
 * default configuration (risk signals on; only the per-agent rate and pending
 * caps raised, or the load would be throttled by design). Measures, in
 * interleaved rounds (a, b, a, b, …):
 * 1. create-request throughput, app vs. a bare node:http + one INSERT
 *    baseline on the same PostgreSQL;
 * 2. the same load with a webhook endpoint (a local receiver) and an
 *    automatic containment rule vs. the plain default: their cost in percent;
 * 3. COUNTERSIGN_WORKERS=1 vs 2 (node:cluster);
 * then decision-to-agent latency for long-waiting agents, and 10,000
 * simultaneous long-waits on one app process, decided through the review API
 * and by suspending agents (RSS before/after, per waiter, time to the last
 * answer). Prints a markdown summary and writes bench/results/latest.json.
 * Bounded: fixed durations and counts, traffic to 127.0.0.1 only; the apps
 * and the database are stopped even on failure.
 *
 * Knobs (environment): NEXT_DIST_DIR (default .next), BENCH_POOL_SIZE (app
 * and baseline pool, default the app's DATABASE_POOL_SIZE), BENCH_CONNECTIONS (50), BENCH_DURATION
 * (8 s, app vs baseline), BENCH_SCENARIO_DURATION (5 s, the other
 * comparisons), BENCH_WARMUP (2 s), BENCH_ROUNDS (3), BENCH_LATENCY_REQUESTS
 * (200), BENCH_WAITERS (10000, at most 50 per agent), BENCH_CPU_PROF=1
 * (writes the app's V8 CPU profile to bench/results/profiles/).
 */
import { existsSync, mkdirSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import { performance } from "node:perf_hooks";
import pg from "pg";
import { disconnectDb } from "../lib/db.ts";
import { DEFAULT_DATABASE_POOL_SIZE, resetEnv } from "../lib/env.ts";
import { PROJECT_ROOT } from "../lib/runtime/migrate.ts";
import { LOCAL_RECEIVERS_ENV, startTestApp, startTestDatabase, TEST_AUTH_SECRET, type TestApp, type TestDatabase } from "../test/support/test-server.ts";
import { startBaseline, type BaselineServer } from "./baseline.ts";
import { stopBounded } from "./stop.ts";
import { CACHE_MS, setContainment } from "../lib/containment/settings.ts";
import { createEndpoint } from "../lib/delivery/endpoints.ts";
import { createUser } from "../lib/users/create-user.ts";
import { randomSecret } from "../lib/ids.ts";
import { measureDecisionLatency } from "./latency.ts";
import { bodyPool } from "./bodies.ts";
import { evaluateTargets, machineInfo, markdown, writeJson, type BenchConfig, type BenchResults } from "./report.ts";
import { keepAliveAgent } from "./http.ts";
import { pendingPool, seed, signIn } from "./setup.ts";
import { median, round, sleep } from "./stats.ts";
import { comparePair, measureThroughput } from "./throughput.ts";
import { measureManyWaiters } from "./waiters.ts";
import { ensureFileDescriptors, envInt, runBenchmark } from "./harness.ts";

/** Decisions made (and waiters woken) before the latency samples start counting. */
const LATENCY_WARMUP = 20;

const log = (line: string) => process.stdout.write(`${line}\n`);

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
  const pool = bodyPool(4096);
  const config: BenchConfig = {
    command: `${distDir === ".next" ? "" : `NEXT_DIST_DIR=${distDir} `}node bin/run-ts.mjs bench/run.ts`,
    distDir,
    databasePoolSize: envInt("BENCH_POOL_SIZE", DEFAULT_DATABASE_POOL_SIZE),
    connections: envInt("BENCH_CONNECTIONS", 50),
    warmupSeconds: envInt("BENCH_WARMUP", 2),
    durationSeconds: envInt("BENCH_DURATION", 8),
    scenarioDurationSeconds: envInt("BENCH_SCENARIO_DURATION", 5),
    rounds: envInt("BENCH_ROUNDS", 3),
    agents: 200,
    bodies: {
      count: pool.bodies.length,
      minBytes: pool.sizes.min,
      medianBytes: pool.sizes.median,
      maxBytes: pool.sizes.max,
      actions: new Set(pool.bodies.map((b) => (JSON.parse(b) as { action: string }).action)).size,
    },
    latencyRequests: envInt("BENCH_LATENCY_REQUESTS", 200),
    waiters: envInt("BENCH_WAITERS", 10_000),
    decisionConcurrency: 20,
  };
  if (config.waiters > config.agents * 50) throw new Error(`BENCH_WAITERS is at most ${config.agents * 50} (50 long-waits per agent, the app's default)`);
  const fdText = ensureFileDescriptors(config.waiters + 1500, "lower BENCH_WAITERS");
  if (!existsSync(path.join(PROJECT_ROOT, distDir, "BUILD_ID"))) {
    throw new Error(`no production build in ${distDir}/: run \`npm run build\` first (or set NEXT_DIST_DIR to a built folder)`);
  }
  log(`Countersign benchmark — build ${distDir}, open files ${fdText}`);

  let database: TestDatabase | undefined;
  let app: TestApp | undefined;
  let cluster: TestApp | undefined;
  let baseline: BaselineServer | undefined;
  let benchPool: pg.Pool | undefined;
  let delivered = 0;
  const receiver = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      delivered++;
      res.writeHead(204).end();
    });
  });
  let cleaning: Promise<void> | undefined;
  const cleanup = () =>
    (cleaning ??= (async () => {
      await baseline?.stop().catch((e: Error) => log(`baseline stop failed: ${e.message}`));
      if (cluster) await stopBounded(cluster, log);
      if (app) await stopBounded(app, log);
      await benchPool?.end().catch(() => {});
      await disconnectDb().catch(() => {});
      await database?.stop().catch((e: Error) => log(`database stop failed: ${e.message}`));
      receiver.close();
    })());
  const onSignal = (signal: NodeJS.Signals) => {
    log(`\n${signal}: stopping the apps and the database...`);
    void cleanup().finally(() => process.exit(130));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);

  try {
    await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", () => r()));
    log("Starting embedded PostgreSQL...");
    database = await startTestDatabase();
    process.env.DATABASE_URL = database.url;
    process.env.AUTH_SECRET ??= TEST_AUTH_SECRET;
    Object.assign(process.env, LOCAL_RECEIVERS_ENV);
    resetEnv();
    benchPool = new pg.Pool({ connectionString: database.url, max: 2 });
    const postgres = await postgresVersion(database.url);

    const { agents, reviewer } = await seed(config.agents);
    const admin = { email: "bench-admin@example.test", password: randomSecret(18) };
    await createUser({ email: admin.email, role: "admin", name: "Bench Admin", password: admin.password, actor: "bench" });
    log(
      `Seeded ${agents.length} agents, a reviewer and an admin; ${config.bodies.count} request bodies (${config.bodies.minBytes}–${config.bodies.maxBytes} B).`,
    );

    const appEnv: Record<string, string> = {
      NEXT_DIST_DIR: distDir,
      // The defaults throttle 200 agents at these rates by design (600/min, 1,000 pending each): raised, nothing else changed.
      COUNTERSIGN_AGENT_RATE_PER_MINUTE: "100000000",
      COUNTERSIGN_MAX_PENDING_PER_AGENT: "1000000",
      DATABASE_POOL_SIZE: String(config.databasePoolSize),
      // Outbound to the local webhook receiver (127.0.0.1 over http): where deliveries may go, not what a request costs.
      ...LOCAL_RECEIVERS_ENV,
      LOG_LEVEL: "warn",
    };
    if (process.env.BENCH_CPU_PROF === "1") {
      const dir = path.join(PROJECT_ROOT, "bench", "results", "profiles");
      mkdirSync(dir, { recursive: true });
      appEnv.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ""} --require=${path.join(PROJECT_ROOT, "bench", "cpu-profile.cjs")}`.trim();
      appEnv.BENCH_CPU_PROF_DIR = dir;
      log(`CPU profile of the app will be written to ${dir}`);
    }
    log("Starting the app (countersign start)...");
    app = await startTestApp(database.url, appEnv);
    const appPid = app.process.pid!;
    const cookie = await signIn(app.url, reviewer);
    const adminCookie = await signIn(app.url, admin);
    baseline = await startBaseline(database.url, config.databasePoolSize);
    log(`App ${app.url} (pid ${appPid}); baseline ${baseline.url} (pid ${baseline.process.pid}).`);
    const machine = machineInfo(postgres, fdText);
    const keys = agents.map((a) => a.key);
    const rounds = { connections: config.connections, warmupSeconds: config.warmupSeconds, rounds: config.rounds, bodies: pool.bodies };

    log(
      `\n1. Create-request throughput: baseline vs app, ${config.rounds} × ${config.durationSeconds} s each, interleaved, after ${config.warmupSeconds} s warm-up`,
    );
    const throughput = comparePair(
      await measureThroughput(
        [
          { name: "baseline", url: baseline.url, keys },
          { name: "app", url: app.url, keys },
        ],
        { ...rounds, durationSeconds: config.durationSeconds },
        log,
      ),
    );
    await baseline.stop();
    baseline = undefined;
    log(`  app / baseline ${throughput.ratio.toFixed(2)} × (medians), ${throughput.pairedRatio.toFixed(2)} × (per-round pairs)`);

    // 2. Webhook endpoint and containment rule, switched on for one arm only; each process re-reads containment within CACHE_MS.
    const { endpoint } = await createEndpoint({
      url: `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hook`,
      eventTypes: ["request.created"],
      enabled: false,
      actor: "bench",
    });
    // 200 agents share ~1,000–2,000 req/s: ~300–600 requests each a minute, under this limit, so the rule never trips.
    const rule = { request_rate: { max_requests: 3000, window_seconds: 60 }, denial_rate: null, agents: null };
    const noRule = { request_rate: null, denial_rate: null, agents: null };
    let armed: boolean | undefined;
    const arm = async (on: boolean) => {
      if (armed === on) return;
      await benchPool!.query("UPDATE webhook_endpoints SET enabled = $2 WHERE id = $1", [endpoint.id, on]);
      await setContainment({ settings: on ? rule : noRule, actor: "bench" });
      await sleep(CACHE_MS + 500);
      armed = on;
    };
    const backlog = async (): Promise<number> => {
      const { rows } = await benchPool!.query<{ n: number }>(
        `SELECT (SELECT count(*)::int FROM deliveries WHERE status IN ('pending', 'failed'))
              + (SELECT (h.seq - c.position)::int FROM audit_head h, delivery_cursors c WHERE h.id = 1 AND c.id = 'webhooks') AS n`,
      );
      return rows[0].n;
    };
    const drains: number[] = [];
    log(
      `\n2. The same load with a webhook endpoint (local receiver) and a containment rule vs the default: ${config.rounds} × ${config.scenarioDurationSeconds} s each, a b, b a, a b`,
    );
    const features = comparePair(
      await measureThroughput(
        [
          { name: "default", url: app.url, keys, before: () => arm(false) },
          {
            name: "webhook+containment",
            url: app.url,
            keys,
            before: () => arm(true),
            after: async () => {
              // Outside the measurement: no round pays for another's deliveries.
              const t0 = performance.now();
              for (let i = 0; i < 1200 && (await backlog()) > 0; i++) await sleep(100);
              const s = (performance.now() - t0) / 1000;
              drains.push(s);
              return `backlog delivered ${s.toFixed(1)} s after the round`;
            },
          },
        ],
        { ...rounds, durationSeconds: config.scenarioDurationSeconds, warmup: false, alternate: true },
        log,
      ),
    );
    await arm(false);
    const { rows: byStatus } = await benchPool.query<{ status: string; n: number }>(
      "SELECT status, count(*)::int AS n FROM deliveries GROUP BY status ORDER BY status",
    );
    const { rows: suspended } = await benchPool.query<{ n: number }>("SELECT count(*)::int AS n FROM agents WHERE status = 'suspended'");
    if (suspended[0].n > 0) throw new Error(`containment suspended ${suspended[0].n} agents: the rule's limit is too low for this load`);
    const deliveries = `deliveries ${byStatus.map((r) => `${r.status} ${r.n}`).join(", ")}, receiver got ${delivered}`;
    log(
      `  cost of webhook + containment ${((1 - features.ratio) * 100).toFixed(1)} % (medians), ${((1 - features.pairedRatio) * 100).toFixed(1)} % (per-round pairs); ${deliveries}`,
    );

    log(`\n3. COUNTERSIGN_WORKERS=1 vs 2 on ${machine.cpus} CPUs: ${config.rounds} × ${config.scenarioDurationSeconds} s each, interleaved`);
    cluster = await startTestApp(database.url, { ...appEnv, COUNTERSIGN_WORKERS: "2" });
    const workers = comparePair(
      await measureThroughput(
        [
          { name: "1 worker", url: app.url, keys },
          { name: "2 workers", url: cluster.url, keys },
        ],
        { ...rounds, durationSeconds: config.scenarioDurationSeconds },
        log,
      ),
    );
    await stopBounded(cluster, log);
    cluster = undefined;
    log(`  2 workers / 1 worker ${workers.ratio.toFixed(2)} × (medians), ${workers.pairedRatio.toFixed(2)} × (per-round pairs)`);

    const creator = keepAliveAgent();
    const forLatency = await pendingPool(app.url, database.url, agents, config.latencyRequests + LATENCY_WARMUP, creator);
    log(`\n4. Decision → waiting agent latency: ${config.latencyRequests} long-waits, decided one at a time`);
    const ctx = { baseUrl: app.url, appPid, cookie, adminCookie };
    const latency = await measureDecisionLatency(ctx, forLatency.requests, LATENCY_WARMUP, log);
    log(`  wake p50 ${latency.wake.p50} ms, p99 ${latency.wake.p99} ms, max ${latency.wake.max} ms (decision call p50 ${latency.decisionRoundTrip.p50} ms)`);

    const forWaiters = await pendingPool(app.url, database.url, agents, config.waiters, creator);
    creator.destroy();
    log(
      `\n5. ${config.waiters} agents long-waiting at once (${forWaiters.fromDatabase} requests left pending by the throughput phases, ${forWaiters.created} created now); half approved ${config.decisionConcurrency} at a time, half cancelled by suspending their agents`,
    );
    const manyWaiters = await measureManyWaiters(ctx, forWaiters.requests, config.decisionConcurrency, log);
    log(
      `  ${manyWaiters.correct}/${manyWaiters.waiters} answered with the right status (${manyWaiters.pendingAfterFullWait} still pending after 5 waits, ${manyWaiters.rewaited} waited again, ${manyWaiters.clientTimeouts} client timeouts asked again, ${manyWaiters.otherWrong} other${manyWaiters.wrongExamples.length ? `: ${manyWaiters.wrongExamples.join("; ")}` : ""}); first decision → last answer ${manyWaiters.decideAllMs} ms; RSS ${manyWaiters.memory.beforeRssMiB} → ${manyWaiters.memory.parkedRssMiB} MiB parked (${manyWaiters.memory.perWaiterKiB} KiB per waiter), ${manyWaiters.memory.afterRssMiB} MiB after`,
    );

    const partial = {
      machine,
      config,
      throughput,
      features: { ...features, deliveries, drainSeconds: round(median(drains), 1) },
      workers,
      latency,
      manyWaiters,
    };
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
