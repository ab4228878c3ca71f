/**
 * Event delivery benchmark: `node bin/run-ts.mjs bench/delivery.ts` (after a
 * build; NEXT_DIST_DIR picks the build folder).
 *
 * Create-request throughput against the real app with one webhook endpoint
 * subscribed to `request.created` (a local receiver answering 204), versus the
 * same app with that endpoint disabled, in alternating rounds. The dispatcher
 * runs in both arms (it is part of the app: woken on every request change, it
 * advances its cursor); with the endpoint enabled it also writes one delivery
 * row per request and the worker signs and POSTs each. After every round with
 * the endpoint on, the benchmark waits until the backlog is delivered, so no
 * round pays for another's deliveries, and reports how long that took.
 *
 * Knobs: BENCH_CONNECTIONS (50), BENCH_DURATION (5 s), BENCH_WARMUP (2 s), BENCH_ROUNDS (3).
 */
import http from "node:http";
import { disconnectDb, pool } from "../lib/db.ts";
import { createEndpoint } from "../lib/delivery/endpoints.ts";
import { resetEnv } from "../lib/env.ts";
import { closeHub } from "../lib/events/hub.ts";
import { startTestApp, startTestDatabase, TEST_AUTH_SECRET, type TestApp, type TestDatabase } from "../test/support/test-server.ts";
import { requestBody, seed } from "./setup.ts";
import { median, round } from "./stats.ts";
import { stopBounded } from "./stop.ts";
import { blast } from "./throughput.ts";
import { envInt, roundOptions, runBenchmark } from "./harness.ts";

const log = (line: string) => process.stdout.write(line + "\n");

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
  let app: TestApp | undefined;
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
    process.env.COUNTERSIGN_ALLOW_HTTP_WEBHOOKS = "true";
    resetEnv();
    const { agents } = await seed(200);
    app = await startTestApp(database.url, { NEXT_DIST_DIR: distDir, COUNTERSIGN_AGENT_RATE_PER_MINUTE: "100000000", COUNTERSIGN_ALLOW_HTTP_WEBHOOKS: "true", LOG_LEVEL: "warn" });
    const { endpoint } = await createEndpoint({ url: `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hook`, eventTypes: ["request.created"], enabled: false, actor: "bench" });
    const setEnabled = (on: boolean) => pool().query("UPDATE webhook_endpoints SET enabled = $2 WHERE id = $1", [endpoint.id, on]);
    const options = roundOptions(requestBody());
    const target = { name: "app" as const, url: app.url, keys: agents.map((a) => a.key) };

    log(`Create-request throughput, ${options.rounds} alternating rounds of ${options.durationSeconds} s: webhook endpoint off vs on`);
    await blast(target, { ...options, durationSeconds: options.warmupSeconds });
    const rates: { off: number[]; on: number[] } = { off: [], on: [] };
    const drains: number[] = [];
    for (let i = 1; i <= options.rounds; i++) {
      for (const label of ["off", "on"] as const) {
        await setEnabled(label === "on");
        const before = received;
        const r = await blast(target, options);
        if (r.non2xx || r.errors) log(`  warning: ${r.non2xx} non-2xx, ${r.errors} errors`);
        rates[label].push(r.requests.average);
        let line = `  round ${i} endpoint ${label.padEnd(3)} ${r.requests.average.toFixed(0).padStart(6)} req/s  p50 ${r.latency.p50} ms  p99 ${r.latency.p99} ms`;
        if (label === "on") {
          const t0 = Date.now();
          while ((await backlog()) > 0) await new Promise((resolve) => setTimeout(resolve, 100));
          drains.push((Date.now() - t0) / 1000);
          line += `  delivered during the round ${received - before}, backlog drained ${((Date.now() - t0) / 1000).toFixed(1)} s after it`;
        }
        log(line);
      }
    }
    await setEnabled(false);
    const { rows } = await pool().query("SELECT status, count(*)::int AS n FROM deliveries GROUP BY status ORDER BY status");
    const off = round(median(rates.off), 1);
    const on = round(median(rates.on), 1);
    const cost = round((1 - on / off) * 100, 1);
    log(`\n## Delivery benchmark\n`);
    log(`| measure | value |\n|---|---|`);
    log(`| create throughput, endpoint disabled (dispatcher idle) | ${off} req/s |`);
    log(`| create throughput, one endpoint on request.created | ${on} req/s |`);
    log(`| throughput cost | ${cost} % (target < 15 %) |`);
    log(`| backlog drained after a round (median) | ${round(median(drains), 1)} s |`);
    log(`| deliveries by status | ${rows.map((r) => `${r.status} ${r.n}`).join(", ")}; receiver got ${received} |`);
  } finally {
    await closeHub().catch(() => {});
    if (app) await stopBounded(app, log);
    await disconnectDb().catch(() => {});
    await database?.stop().catch(() => {});
    receiver.close();
  }
}

runBenchmark("delivery", main);
