/**
 * The cost of issue 6's features on the hot path: `node bin/run-ts.mjs bench/delivery.ts`
 * (after a build; NEXT_DIST_DIR picks the build folder).
 *
 * Create-request throughput against two app processes on one database, with
 * the same 200 agents, in alternating rounds (each round swaps which goes
 * first) so drift in the machine's load hits both alike:
 * - "without": COUNTERSIGN_RISK_SIGNALS=false, no webhook endpoint enabled,
 *   no containment rule;
 * - "with": risk signals on, one webhook endpoint subscribed to
 *   `request.created` (a local receiver answering 204; one delivery row per
 *   request, signed and POSTed by the worker), and an automatic containment
 *   rate rule that the agents stay below (its indexed count runs on every
 *   request). The endpoint and the rule are switched before each arm.
 * The audit-log outbox and the dispatcher run in both (they are always on).
 * After every "with" round the benchmark waits until the backlog is
 * delivered, so no round pays for another's deliveries, and reports how long
 * that took.
 *
 * Knobs: BENCH_CONNECTIONS (50), BENCH_DURATION (5 s), BENCH_WARMUP (2 s), BENCH_ROUNDS (3);
 * BENCH_WITH (`risk,webhook,containment`) picks what the "with" arm turns on, to see each one's share.
 */
import http from "node:http";
import { disconnectDb, pool } from "../lib/db.ts";
import { CACHE_MS, setContainment } from "../lib/containment/settings.ts";
import { createEndpoint } from "../lib/delivery/endpoints.ts";
import { resetEnv } from "../lib/env.ts";
import { closeHub } from "../lib/events/hub.ts";
import { LOCAL_RECEIVERS_ENV, startTestApp, startTestDatabase, TEST_AUTH_SECRET, type TestApp, type TestDatabase } from "../test/support/test-server.ts";
import { seed } from "./setup.ts";
import { median, round } from "./stats.ts";
import { stopBounded } from "./stop.ts";
import { blast } from "./throughput.ts";
import { roundOptions, runBenchmark } from "./harness.ts";

const log = (line: string) => process.stdout.write(`${line}\n`);

/** Events not yet dispatched plus deliveries not yet sent. */
async function backlog(): Promise<number> {
  const { rows } = await pool().query(
    `SELECT (SELECT count(*)::int FROM deliveries WHERE status IN ('pending', 'failed'))
          + (SELECT (h.seq - c.position)::int FROM audit_head h, delivery_cursors c WHERE h.id = 1 AND c.id = 'webhooks') AS n`,
  );
  return rows[0].n;
}

async function main(): Promise<void> {
  const distDir = process.env.NEXT_DIST_DIR || ".next";
  let database: TestDatabase | undefined;
  let bare: TestApp | undefined;
  let full: TestApp | undefined;
  let received = 0;
  const receiver = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      received++;
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", () => r()));
  try {
    database = await startTestDatabase();
    process.env.DATABASE_URL = database.url;
    process.env.AUTH_SECRET ??= TEST_AUTH_SECRET;
    Object.assign(process.env, LOCAL_RECEIVERS_ENV);
    resetEnv();
    const features = new Set((process.env.BENCH_WITH ?? "risk,webhook,containment").split(",").map((f) => f.trim()));
    const { agents } = await seed(200);
    const common = {
      NEXT_DIST_DIR: distDir,
      COUNTERSIGN_AGENT_RATE_PER_MINUTE: "100000000",
      COUNTERSIGN_MAX_PENDING_PER_AGENT: "1000000",
      ...LOCAL_RECEIVERS_ENV,
      LOG_LEVEL: "warn",
    };
    // One after the other: each start runs migrations under an advisory lock.
    full = await startTestApp(database.url, { ...common, COUNTERSIGN_RISK_SIGNALS: String(features.has("risk")) });
    bare = await startTestApp(database.url, { ...common, COUNTERSIGN_RISK_SIGNALS: "false" });
    const { endpoint } = await createEndpoint({
      url: `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hook`,
      eventTypes: ["request.created"],
      enabled: false,
      actor: "bench",
    });
    // 200 agents share ~1,000 req/s: ~300 requests each a minute, under this limit, so the rule never trips.
    const rule = { request_rate: { max_requests: 2000, window_seconds: 60 }, denial_rate: null, agents: null };
    const off = { request_rate: null, denial_rate: null, agents: null };
    /** Webhook endpoint and containment rule on for the "with" arm only; each process re-reads containment within CACHE_MS. */
    const arm = async (label: "without" | "with") => {
      await pool().query("UPDATE webhook_endpoints SET enabled = $2 WHERE id = $1", [endpoint.id, label === "with" && features.has("webhook")]);
      await setContainment({ settings: label === "with" && features.has("containment") ? rule : off, actor: "bench" });
      await new Promise((resolve) => setTimeout(resolve, CACHE_MS + 500));
    };
    const options = roundOptions();
    const keys = agents.map((a) => a.key);
    const targets = { without: { name: "app" as const, url: bare.url, keys }, with: { name: "app" as const, url: full.url, keys } };

    log(`Create-request throughput, ${options.rounds} alternating rounds of ${options.durationSeconds} s: without vs with ${[...features].join(", ")}`);
    for (const label of ["without", "with"] as const) {
      await arm(label);
      await blast(targets[label], { ...options, durationSeconds: options.warmupSeconds });
    }
    const rates: { without: number[]; with: number[] } = { without: [], with: [] };
    const drains: number[] = [];
    for (let i = 1; i <= options.rounds; i++) {
      // Each round swaps which arm goes first, so neither always runs in the other's wake.
      for (const label of i % 2 ? (["without", "with"] as const) : (["with", "without"] as const)) {
        await arm(label);
        const before = received;
        const r = await blast(targets[label], options);
        if (r.non2xx || r.errors) log(`  warning: ${r.non2xx} non-2xx, ${r.errors} errors`);
        rates[label].push(r.requests.average);
        let line = `  round ${i} ${label.padEnd(7)} ${r.requests.average.toFixed(0).padStart(6)} req/s  p50 ${r.latency.p50} ms  p99 ${r.latency.p99} ms`;
        if (label === "with") {
          const t0 = Date.now();
          while ((await backlog()) > 0) await new Promise((resolve) => setTimeout(resolve, 100));
          drains.push((Date.now() - t0) / 1000);
          line += `  delivered during the round ${received - before}, backlog drained ${((Date.now() - t0) / 1000).toFixed(1)} s after it`;
        }
        log(line);
      }
    }
    await pool().query("UPDATE webhook_endpoints SET enabled = false WHERE id = $1", [endpoint.id]);
    const { rows } = await pool().query("SELECT status, count(*)::int AS n FROM deliveries GROUP BY status ORDER BY status");
    const { rows: suspended } = await pool().query("SELECT count(*)::int AS n FROM agents WHERE status = 'suspended'");
    const without = round(median(rates.without), 1);
    const withAll = round(median(rates.with), 1);
    const cost = round((1 - withAll / without) * 100, 1);
    // Each round's two arms ran back to back: their ratio is less exposed to the machine's drift than the medians.
    const paired = round((1 - median(rates.with.map((r, i) => r / rates.without[i]))) * 100, 1);
    log(`\n## Feature cost benchmark\n`);
    log(`| measure | value |\n|---|---|`);
    log(
      `| create throughput without risk signals, webhooks, containment (median of rounds ${rates.without.map((r) => r.toFixed(0)).join(", ")}) | ${without} req/s |`,
    );
    log(`| create throughput with ${[...features].join(", ")} (median of rounds ${rates.with.map((r) => r.toFixed(0)).join(", ")}) | ${withAll} req/s |`);
    log(`| throughput cost (medians) | ${cost} % (target < 15 %) |`);
    log(`| throughput cost (median of per-round ratios) | ${paired} % |`);
    log(`| backlog drained after a round (median) | ${round(median(drains), 1)} s |`);
    log(`| deliveries by status | ${rows.map((r) => `${r.status} ${r.n}`).join(", ")}; receiver got ${received} |`);
    log(`| agents suspended by containment | ${suspended[0].n} (the load stays under the rule) |`);
  } finally {
    await closeHub().catch(() => {});
    for (const app of [bare, full]) if (app) await stopBounded(app, log);
    await disconnectDb().catch(() => {});
    await database?.stop().catch(() => {});
    receiver.close();
  }
}

runBenchmark("delivery", main);
