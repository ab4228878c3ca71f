/**
 * SDK overhead benchmark: `node bin/run-ts.mjs bench/sdk.ts` (after a build;
 * NEXT_DIST_DIR picks the build folder).
 *
 * An allow rule makes every request approved on creation, so one call is one
 * round trip, and the only difference between the two ways of asking is the
 * client:
 *   - raw: `fetch` POST /api/v1/requests (with an Idempotency-Key, as the SDK
 *     sends), then the JSON parsed and the grant token read;
 *   - sdk: `requestApproval(...)` until the approved result with its grant.
 * The two are interleaved (alternating which goes first) on one keep-alive
 * connection pool, so drift in the machine's load hits both alike. Also
 * reported: the SDK's own CPU cost per call against a canned answer (no
 * network). Prints figures, asserts nothing; writes bench/results/sdk.json.
 *
 * Knobs: BENCH_SDK_ITERATIONS (2000), BENCH_SDK_WARMUP (200).
 */
import { Countersign, type ApprovalInput } from "@countersign/sdk";
import { randomUUID } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { createAgent } from "../lib/agents/create-agent.ts";
import { disconnectDb } from "../lib/db.ts";
import { resetEnv } from "../lib/env.ts";
import { closeHub } from "../lib/events/hub.ts";
import { createRule } from "../lib/policy/rules.ts";
import { PROJECT_ROOT } from "../lib/runtime/migrate.ts";
import { startTestApp, startTestDatabase, TEST_AUTH_SECRET, type TestApp, type TestDatabase } from "../test/support/test-server.ts";
import { machineInfo } from "./report.ts";
import { requestBody } from "./setup.ts";
import { median, percentile, round } from "./stats.ts";
import { stopBounded } from "./stop.ts";
import { envInt, runBenchmark } from "./harness.ts";

const log = (line: string) => process.stdout.write(`${line}\n`);

const ACTION = "bench.sdk_allowed";

interface Figures {
  medianMs: number;
  p90Ms: number;
  p99Ms: number;
}

const figures = (samples: number[]): Figures => ({
  medianMs: round(median(samples), 3),
  p90Ms: round(percentile(samples, 90), 3),
  p99Ms: round(percentile(samples, 99), 3),
});

async function main(): Promise<void> {
  const iterations = envInt("BENCH_SDK_ITERATIONS", 2000);
  const warmup = envInt("BENCH_SDK_WARMUP", 200);
  const distDir = process.env.NEXT_DIST_DIR || ".next";
  let database: TestDatabase | undefined;
  let app: TestApp | undefined;
  try {
    database = await startTestDatabase();
    process.env.DATABASE_URL = database.url;
    process.env.AUTH_SECRET ??= TEST_AUTH_SECRET;
    resetEnv();
    const agent = await createAgent({ name: "bench-sdk-agent", ownerEmail: null, description: "SDK overhead benchmark", tags: ["bench"], actor: "bench" });
    await createRule({ definition: { name: "bench-sdk-allow", agents: { names: ["bench-sdk-agent"] }, actions: [ACTION], effect: "allow" }, actor: "bench" });
    app = await startTestApp(database.url, { NEXT_DIST_DIR: distDir, COUNTERSIGN_AGENT_RATE_PER_MINUTE: "100000000", LOG_LEVEL: "warn" });
    const machine = machineInfo("PostgreSQL (embedded)", "n/a");

    const input = { ...requestBody(), action: ACTION } as unknown as ApprovalInput;
    const url = `${app.url}/api/v1/requests`;
    const client = new Countersign({ url: app.url, agentKey: agent.key });

    const raw = async (): Promise<number> => {
      const t0 = performance.now();
      const res = await fetch(url, {
        method: "POST",
        headers: { authorization: `Bearer ${agent.key}`, "content-type": "application/json", accept: "application/json", "idempotency-key": randomUUID() },
        body: JSON.stringify(input),
      });
      const body = (await res.json()) as { status: string; grant?: { token?: string } };
      const elapsed = performance.now() - t0;
      if (res.status !== 201 || body.status !== "approved" || !body.grant?.token) throw new Error(`raw call: ${res.status} ${body.status}`);
      return elapsed;
    };
    const sdk = async (): Promise<number> => {
      const t0 = performance.now();
      const result = await client.requestApproval(input);
      const elapsed = performance.now() - t0;
      if (result.status !== "approved" || !result.grant.token) throw new Error(`sdk call: ${result.status}`);
      return elapsed;
    };

    log(`SDK overhead: requestApproval on an allowed action vs a raw fetch POST, ${iterations} interleaved pairs after ${warmup} warm-up pairs (${app.url})`);
    for (let i = 0; i < warmup; i++) {
      await raw();
      await sdk();
    }
    const samples = { raw: [] as number[], sdk: [] as number[], diff: [] as number[] };
    for (let i = 0; i < iterations; i++) {
      let r: number;
      let s: number;
      if (i % 2 === 0) {
        r = await raw();
        s = await sdk();
      } else {
        s = await sdk();
        r = await raw();
      }
      samples.raw.push(r);
      samples.sdk.push(s);
      samples.diff.push(s - r);
    }

    // The client's own work per call, with the network taken away: a canned approved answer.
    const canned = JSON.stringify(await client.createRequest(input));
    const offline = new Countersign({
      url: app.url,
      agentKey: agent.key,
      fetch: async () => new Response(canned, { status: 201, headers: { "content-type": "application/json" } }),
    });
    for (let i = 0; i < 2000; i++) await offline.requestApproval(input);
    const batch = 100;
    const perCall: number[] = [];
    for (let s = 0; s < 200; s++) {
      const t0 = performance.now();
      for (let i = 0; i < batch; i++) await offline.requestApproval(input);
      perCall.push(((performance.now() - t0) * 1000) / batch);
    }

    const rawFigures = figures(samples.raw);
    const sdkFigures = figures(samples.sdk);
    const results = {
      machine,
      iterations,
      warmup,
      raw: rawFigures,
      sdk: sdkFigures,
      ratioOfMedians: round(sdkFigures.medianMs / rawFigures.medianMs, 3),
      ratioOfP99s: round(sdkFigures.p99Ms / rawFigures.p99Ms, 3),
      overheadMs: { medianOfPairedDifferences: round(median(samples.diff), 3), differenceOfMedians: round(sdkFigures.medianMs - rawFigures.medianMs, 3) },
      clientCpuMicrosPerCall: { median: round(median(perCall), 1), p99: round(percentile(perCall, 99), 1) },
    };

    log(`\n## SDK overhead\n`);
    log(`| measure | median | p90 | p99 |\n|---|---|---|---|`);
    log(`| raw fetch POST → grant | ${rawFigures.medianMs} ms | ${rawFigures.p90Ms} ms | ${rawFigures.p99Ms} ms |`);
    log(`| SDK requestApproval → grant | ${sdkFigures.medianMs} ms | ${sdkFigures.p90Ms} ms | ${sdkFigures.p99Ms} ms |`);
    log(`\nSDK / raw: ${results.ratioOfMedians} × at the median, ${results.ratioOfP99s} × at p99.`);
    log(
      `Overhead: ${results.overheadMs.medianOfPairedDifferences} ms (median of paired differences), ${results.overheadMs.differenceOfMedians} ms (difference of medians).`,
    );
    log(
      `Client-side work per call with a canned answer (no network): median ${results.clientCpuMicrosPerCall.median} µs, p99 ${results.clientCpuMicrosPerCall.p99} µs.`,
    );

    const dir = path.join(PROJECT_ROOT, "bench", "results");
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, "sdk.json");
    writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
    log(`JSON: ${path.relative(PROJECT_ROOT, file)}`);
  } finally {
    await closeHub().catch(() => {});
    if (app) await stopBounded(app, log);
    await disconnectDb().catch(() => {});
    await database?.stop().catch(() => {});
  }
}

runBenchmark("SDK", main);
