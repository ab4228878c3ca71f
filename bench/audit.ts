/**
 * Audit chain benchmark: `node bin/run-ts.mjs bench/audit.ts` (no app build needed).
 *
 * Starts a fresh embedded PostgreSQL, appends BENCH_AUDIT_EVENTS (1,000,000)
 * chained events in bulk (hashed in Node exactly as append-event.ts defines
 * the chain, 5,000 rows per INSERT), then verifies the whole chain
 * BENCH_AUDIT_ROUNDS (3) times with the production code (`verifyChain`,
 * keyset batches of 5,000) and reports events/s and memory: process RSS and
 * V8 heap sampled every 20 ms during each run, and at 10 %, 50 % and 100 % of
 * the way through (flat figures mean memory does not grow with the chain).
 * Also streams a JSON-lines export of the whole log to a counting sink, and
 * times the sealer chaining BENCH_AUDIT_SEAL_EVENTS (100,000) committed
 * events with varied data.
 * Prints figures, asserts nothing; writes bench/results/audit.json.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import pg from "pg";
import { exportLines } from "../lib/audit/query-events.ts";
import { appendEvents } from "../lib/audit/append-event.ts";
import { sealBatch } from "../lib/audit/sealer.ts";
import { disconnectDb, kyselyOver, transact } from "../lib/db.ts";
import { resetEnv } from "../lib/env.ts";
import { sqlChainSource, verifyChain } from "../lib/audit/verify-chain.ts";
import { PROJECT_ROOT } from "../lib/runtime/migrate.ts";
import { appendBulk } from "../test/support/audit-chain.ts";
import { startTestDatabase, type TestDatabase } from "../test/support/test-server.ts";
import { machineInfo } from "./report.ts";
import { median, round } from "./stats.ts";
import { envInt } from "./harness.ts";

const log = (line: string) => process.stdout.write(`${line}\n`);
const MiB = (bytes: number) => round(bytes / 2 ** 20, 1);

/** Samples RSS and heap every `ms` until stopped; answers the peaks. */
function memorySampler(ms = 20) {
  let rss = 0;
  let heap = 0;
  const sample = () => {
    const m = process.memoryUsage();
    rss = Math.max(rss, m.rss);
    heap = Math.max(heap, m.heapUsed);
  };
  sample();
  const timer = setInterval(sample, ms);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return { peakRssMiB: MiB(rss), peakHeapMiB: MiB(heap) };
    },
  };
}

async function main(): Promise<void> {
  const total = envInt("BENCH_AUDIT_EVENTS", 1_000_000);
  const rounds = envInt("BENCH_AUDIT_ROUNDS", 3);
  const batchSize = envInt("BENCH_AUDIT_BATCH", 5000);
  let database: TestDatabase | undefined;
  let db: pg.Pool | undefined;
  try {
    log(`audit benchmark: ${total.toLocaleString("en")} events, ${rounds} verification rounds, batches of ${batchSize}`);
    database = await startTestDatabase();
    db = new pg.Pool({ connectionString: database.url, max: 4 });
    const machine = machineInfo("PostgreSQL (embedded)", "n/a");

    // Insert in slices of 100,000 (each its own transaction) so memory stays bounded here too.
    const insertStart = performance.now();
    for (let done = 0; done < total; done += 100_000) {
      await appendBulk(db, Math.min(100_000, total - done));
      process.stdout.write(`\r  inserted ${(Math.min(done + 100_000, total)).toLocaleString("en")}`);
    }
    const insertSeconds = (performance.now() - insertStart) / 1000;
    log(`\n  insert: ${round(insertSeconds, 1)} s (${Math.round(total / insertSeconds).toLocaleString("en")} events/s)`);
    await db.query("VACUUM ANALYZE audit_events");
    const { rows } = await db.query<{ size: string }>(
      "SELECT pg_size_pretty(sum(pg_total_relation_size(inhrelid))) AS size FROM pg_inherits WHERE inhparent = 'audit_events'::regclass",
    );
    log(`  audit_events on disk: ${rows[0].size}`);

    const runs: {
      seconds: number;
      eventsPerSecond: number;
      peakRssMiB: number;
      peakHeapMiB: number;
      rssAtMiB: Record<string, number>;
      heapAtMiB: Record<string, number>;
    }[] = [];
    const baseline = process.memoryUsage();
    for (let r = 1; r <= rounds; r++) {
      global.gc?.();
      const marks = new Map([
        [0.1, "10%"],
        [0.5, "50%"],
        [1, "100%"],
      ]);
      const rssAt: Record<string, number> = {};
      const heapAt: Record<string, number> = {};
      const sampler = memorySampler();
      const start = performance.now();
      const result = await verifyChain({
        source: sqlChainSource(db),
        batchSize,
        onProgress: (verified) => {
          for (const [share, label] of marks) {
            if (!(label in rssAt) && verified >= share * total) {
              const m = process.memoryUsage();
              rssAt[label] = MiB(m.rss);
              heapAt[label] = MiB(m.heapUsed);
            }
          }
        },
      });
      const seconds = (performance.now() - start) / 1000;
      const peaks = sampler.stop();
      if (!result.ok || result.events !== total)
        throw new Error(`verification failed: ${JSON.stringify(result, (_k, v) => (typeof v === "bigint" ? String(v) : v))}`);
      const run = { seconds: round(seconds, 2), eventsPerSecond: Math.round(total / seconds), ...peaks, rssAtMiB: rssAt, heapAtMiB: heapAt };
      runs.push(run);
      log(
        `  verify round ${r}: ${run.seconds} s, ${run.eventsPerSecond.toLocaleString("en")} events/s, peak RSS ${run.peakRssMiB} MiB, peak heap ${run.peakHeapMiB} MiB; RSS at 10/50/100 %: ${rssAt["10%"]}/${rssAt["50%"]}/${rssAt["100%"]} MiB, heap ${heapAt["10%"]}/${heapAt["50%"]}/${heapAt["100%"]} MiB`,
      );
    }

    // The export streams the same way: pages of 2,000 events, written as they come.
    const sampler = memorySampler();
    const exportStart = performance.now();
    let bytes = 0;
    // On the app's query builder, pointed at the bench database.
    process.env.DATABASE_URL = database.url;
    resetEnv();
    for await (const chunk of exportLines({}, "jsonl")) bytes += Buffer.byteLength(chunk);
    const exportSeconds = (performance.now() - exportStart) / 1000;
    const exportPeaks = sampler.stop();
    const exported = { seconds: round(exportSeconds, 2), eventsPerSecond: Math.round(total / exportSeconds), MiB: MiB(bytes), ...exportPeaks };
    log(
      `  export (JSON lines, counted, not written): ${exported.seconds} s, ${exported.eventsPerSecond.toLocaleString("en")} events/s, ${exported.MiB} MiB, peak RSS ${exported.peakRssMiB} MiB`,
    );

    // Sealing: what the sealer does after commits, measured on its own.
    const sealTotal = envInt("BENCH_AUDIT_SEAL_EVENTS", 100_000);
    const q = kyselyOver(db);
    for (let done = 0; done < sealTotal; done += 5000) {
      const n = Math.min(5000, sealTotal - done);
      const events = Array.from({ length: n }, (_, i) => ({
        type: i % 3 ? "request.created" : "request.approved",
        actor: `agent:agt_bench${(done + i) % 200}`,
        requestId: `req_bench${done + i}`,
        data: { amount: (done + i) * 7, note: "x".repeat((done + i) % 400), tags: [i % 5, "refund"] },
      }));
      await transact((trx) => appendEvents(trx, events), q);
    }
    const sealStart = performance.now();
    let batches = 0;
    for (;;) {
      const n = await sealBatch(q);
      if (n === 0) break;
      batches++;
    }
    const sealSeconds = (performance.now() - sealStart) / 1000;
    const sealed = {
      events: sealTotal,
      seconds: round(sealSeconds, 2),
      eventsPerSecond: Math.round(sealTotal / sealSeconds),
      msPerBatch: round((sealSeconds * 1000) / batches, 1),
      batches,
      verified: (await verifyChain({ source: sqlChainSource(db) })).ok,
    };
    log(
      `  sealing ${sealTotal.toLocaleString("en")} committed events (varied data): ${sealed.seconds} s, ${sealed.eventsPerSecond.toLocaleString("en")} events/s, ${sealed.msPerBatch} ms per batch of up to 2,000; chain verifies: ${sealed.verified}`,
    );

    const summary = {
      medianSeconds: round(median(runs.map((r) => r.seconds)), 2),
      medianEventsPerSecond: Math.round(median(runs.map((r) => r.eventsPerSecond))),
      medianPeakRssMiB: round(median(runs.map((r) => r.peakRssMiB)), 1),
      medianPeakHeapMiB: round(median(runs.map((r) => r.peakHeapMiB)), 1),
      rssBeforeVerifyingMiB: MiB(baseline.rss),
    };
    log(
      `audit verification over ${total.toLocaleString("en")} events: median ${summary.medianEventsPerSecond.toLocaleString("en")} events/s (${summary.medianSeconds} s), peak RSS ${summary.medianPeakRssMiB} MiB (${summary.rssBeforeVerifyingMiB} MiB before), peak heap ${summary.medianPeakHeapMiB} MiB`,
    );
    const file = path.join(PROJECT_ROOT, "bench", "results", "audit.json");
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(
      file,
      `${JSON.stringify({ machine, config: { events: total, rounds, batchSize }, insert: { seconds: round(insertSeconds, 1) }, runs, summary, export: exported, sealed }, null, 2)}\n`,
    );
    log(`written to ${path.relative(PROJECT_ROOT, file)}`);
  } finally {
    await db?.end().catch(() => {});
    await disconnectDb().catch(() => {});
    await database?.stop().catch(() => {});
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
