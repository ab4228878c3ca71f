/**
 * CLI latency benchmark: `node bin/run-ts.mjs bench/cli.ts` (no app build needed).
 *
 * Creates an embedded installation with `countersign migrate` in a temporary
 * data folder, then times common commands run as child processes, as a user
 * runs them (`node bin/countersign.mjs …`, wall clock, median of
 * BENCH_CLI_RUNS = 5 runs each):
 *
 * - while the embedded PostgreSQL is up (the app is running): the CLI joins it;
 * - while it is down (the app is stopped): the CLI starts it for the command
 *   and stops it afterwards.
 *
 * BENCH_CLI_ROOT measures another checkout's `bin/countersign.mjs` against
 * the same kind of installation (before/after comparisons). Prints figures,
 * asserts nothing; writes bench/results/cli.json.
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { startEmbeddedPostgres } from "../lib/runtime/embedded-postgres.ts";
import { PROJECT_ROOT } from "../lib/runtime/migrate.ts";
import { freePort } from "../test/support/test-server.ts";
import { envInt } from "./harness.ts";
import { machineInfo } from "./report.ts";
import { median, round } from "./stats.ts";

const log = (line: string) => process.stdout.write(`${line}\n`);

interface Run {
  seconds: number;
  cpuSeconds: number;
}

async function main(): Promise<void> {
  const runs = envInt("BENCH_CLI_RUNS", 5);
  const root = path.resolve(process.env.BENCH_CLI_ROOT ?? PROJECT_ROOT);
  const dataDir = mkdtempSync(path.join(tmpdir(), "countersign-bench-cli-"));
  const port = await freePort();
  const { DATABASE_URL: _url, AUTH_SECRET: _secret, ...inherited } = process.env;
  const env = { ...inherited, COUNTERSIGN_DATA_DIR: dataDir, COUNTERSIGN_EMBEDDED_PG_PORT: String(port), LOG_LEVEL: "warn", NEXT_TELEMETRY_DISABLED: "1" };

  /** Runs the CLI once; answers wall-clock and CPU seconds (user + system, children included). */
  const cli = (args: string[]): Promise<Run> =>
    new Promise((resolve, reject) => {
      const start = performance.now();
      const child = spawn("/usr/bin/time", ["-f", "%U %S", process.execPath, path.join(root, "bin", "countersign.mjs"), ...args], {
        cwd: root,
        env,
        stdio: ["ignore", "ignore", "pipe"],
      });
      let stderr = "";
      child.stderr.on("data", (d) => (stderr += d));
      child.on("error", reject);
      child.on("exit", (code) => {
        const seconds = (performance.now() - start) / 1000;
        const lines = stderr.trimEnd().split("\n");
        const [user, sys] = (lines.pop() ?? "").split(" ").map(Number);
        if (code !== 0) reject(new Error(`countersign ${args.join(" ")} exited ${code}: ${lines.join("\n")}`));
        else resolve({ seconds, cpuSeconds: user + sys });
      });
    });

  let n = 0;
  const commands: [string, () => string[]][] = [
    ["--help", () => ["--help"]],
    ["users create", () => ["users", "create", "--email", `bench-${++n}@bench.local`, "--role", "reviewer"]],
    ["agents create --json", () => ["agents", "create", "--name", `bench-agent-${++n}`, "--json"]],
    ["audit verify", () => ["audit", "verify"]],
    ["policies export", () => ["policies", "export"]],
    ["migrate (nothing pending)", () => ["migrate"]],
  ];
  const measure = async (label: string): Promise<Record<string, { seconds: number; cpuSeconds: number }>> => {
    const out: Record<string, { seconds: number; cpuSeconds: number }> = {};
    for (const [name, args] of commands) {
      const samples: Run[] = [];
      for (let i = 0; i < runs; i++) samples.push(await cli(args()));
      out[name] = { seconds: round(median(samples.map((s) => s.seconds)), 2), cpuSeconds: round(median(samples.map((s) => s.cpuSeconds)), 2) };
      log(`  ${label.padEnd(12)} ${name.padEnd(26)} ${out[name].seconds.toFixed(2).padStart(6)} s  (cpu ${out[name].cpuSeconds.toFixed(2)} s)`);
    }
    return out;
  };

  let held: Awaited<ReturnType<typeof startEmbeddedPostgres>> | undefined;
  try {
    log(`CLI benchmark: ${root}/bin/countersign.mjs, median of ${runs} runs, data in ${dataDir}`);
    const machine = machineInfo("PostgreSQL (embedded)", "n/a");
    const created = await cli(["migrate"]);
    log(`  fresh installation: migrate ${created.seconds.toFixed(2)} s`);
    // Events in the chain before `audit verify` is timed (an empty chain is refused).
    await cli(["users", "create", "--email", "seed@bench.local", "--role", "admin"]);

    held = await startEmbeddedPostgres({ dataDir, port, create: false });
    const running = await measure("app running");
    await held.stop();
    held = undefined;
    const stopped = await measure("app stopped");

    mkdirSync(path.join(PROJECT_ROOT, "bench", "results"), { recursive: true });
    const file = path.join(PROJECT_ROOT, "bench", "results", "cli.json");
    writeFileSync(file, `${JSON.stringify({ machine, root, runs, migrateFreshSeconds: round(created.seconds, 2), running, stopped }, null, 2)}\n`);
    log(`  wrote ${path.relative(PROJECT_ROOT, file)}`);
  } finally {
    await held?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
