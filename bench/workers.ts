/**
 * COUNTERSIGN_WORKERS=1 vs 2 alone: `node bin/run-ts.mjs bench/workers.ts`
 * (after a build; NEXT_DIST_DIR picks the build folder). The same comparison
 * as phase 3 of bench/run.ts, without the rest, so it can be repeated when
 * the machine is quiet: two app processes on one database (one single, one
 * a cluster of 2 workers), the same 200 agents and varied bodies, rounds
 * interleaved; the idle one holds its memory but uses no CPU during the
 * other's rounds.
 *
 * Knobs: BENCH_CONNECTIONS (50), BENCH_DURATION (5 s), BENCH_WARMUP (2 s), BENCH_ROUNDS (5), BENCH_WORKERS (2).
 */
import os from "node:os";
import { disconnectDb } from "../lib/db.ts";
import { resetEnv } from "../lib/env.ts";
import { closeHub } from "../lib/events/hub.ts";
import { startTestApp, startTestDatabase, TEST_AUTH_SECRET, type TestApp, type TestDatabase } from "../test/support/test-server.ts";
import { envInt, roundOptions, runBenchmark } from "./harness.ts";
import { seed } from "./setup.ts";
import { stopBounded } from "./stop.ts";
import { comparePair, measureThroughput } from "./throughput.ts";

const log = (line: string) => process.stdout.write(`${line}\n`);

async function main(): Promise<void> {
  const distDir = process.env.NEXT_DIST_DIR || ".next";
  const workers = envInt("BENCH_WORKERS", 2);
  let database: TestDatabase | undefined;
  const apps: TestApp[] = [];
  try {
    database = await startTestDatabase();
    process.env.DATABASE_URL = database.url;
    process.env.AUTH_SECRET ??= TEST_AUTH_SECRET;
    resetEnv();
    const { agents } = await seed(200);
    const common = { NEXT_DIST_DIR: distDir, COUNTERSIGN_AGENT_RATE_PER_MINUTE: "100000000", COUNTERSIGN_MAX_PENDING_PER_AGENT: "1000000", LOG_LEVEL: "warn" };
    // One after the other: each start runs migrations under an advisory lock.
    const single = await startTestApp(database.url, common);
    apps.push(single);
    const cluster = await startTestApp(database.url, { ...common, COUNTERSIGN_WORKERS: String(workers) });
    apps.push(cluster);
    const options = { ...roundOptions(), rounds: envInt("BENCH_ROUNDS", 5) };
    const keys = agents.map((a) => a.key);
    log(
      `COUNTERSIGN_WORKERS=1 vs ${workers} on ${os.availableParallelism()} CPUs (load average ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(" / ")}): ${options.rounds} interleaved rounds of ${options.durationSeconds} s, ${options.connections} connections`,
    );
    const pair = comparePair(
      await measureThroughput(
        [
          { name: "1 worker", url: single.url, keys },
          { name: `${workers} workers`, url: cluster.url, keys },
        ],
        options,
        log,
      ),
    );
    log(`\n| measure | value |\n|---|---|`);
    log(`| 1 worker (median) | ${pair.a.medianRequestsPerSecond} req/s, p50 ${pair.a.medianLatencyP50Ms} ms |`);
    log(`| ${workers} workers (median) | ${pair.b.medianRequestsPerSecond} req/s, p50 ${pair.b.medianLatencyP50Ms} ms |`);
    log(`| ${workers} / 1 | ${pair.ratio.toFixed(2)} × (medians), ${pair.pairedRatio.toFixed(2)} × (median of per-round ratios) |`);
    log(
      `| load average after | ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(" / ")} |`,
    );
  } finally {
    await closeHub().catch(() => {});
    for (const app of apps) await stopBounded(app, log);
    await disconnectDb().catch(() => {});
    await database?.stop().catch(() => {});
  }
}

runBenchmark("workers", main);
