// What every benchmark script shares: settings from the environment, the
// throughput-round options, and how a script ends.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { bodyPool } from "./bodies.ts";

/** A positive integer from the environment, or the fallback. */
export const envInt = (name: string, fallback: number): number => {
  const v = Number(process.env[name]);
  return Number.isInteger(v) && v > 0 ? v : fallback;
};

/**
 * Options for alternating create-request throughput rounds (BENCH_CONNECTIONS,
 * BENCH_DURATION, BENCH_WARMUP, BENCH_ROUNDS): the varied body pool of
 * bench/bodies.ts unless a benchmark passes the one body it isolates.
 */
export function roundOptions(body?: unknown) {
  return {
    connections: envInt("BENCH_CONNECTIONS", 50),
    durationSeconds: envInt("BENCH_DURATION", 5),
    warmupSeconds: envInt("BENCH_WARMUP", 2),
    rounds: envInt("BENCH_ROUNDS", 3),
    bodies: body === undefined ? bodyPool().bodies : [JSON.stringify(body)],
  };
}

/** Runs a benchmark's main and exits: 0 when it finished, 1 with the error when it failed. */
export function runBenchmark(name: string, main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (err: Error) => {
      console.error(`${name} benchmark failed: ${err.stack ?? err.message}`);
      process.exit(1);
    },
  );
}

/** Soft and hard open-file limits, as the shell reports them. */
export function fdLimits(): { soft: number; hard: number } {
  const out = spawnSync("sh", ["-c", "ulimit -Sn; ulimit -Hn"], { encoding: "utf8" }).stdout.trim().split("\n");
  const parse = (s: string | undefined) => (s === "unlimited" ? Infinity : Number(s));
  return { soft: parse(out[0]), hard: parse(out[1]) };
}

/**
 * Thousands of long-waits need a socket each here and in the app (each
 * process has its own limit, and the app inherits ours): when the soft limit
 * is below `needed`, re-runs this script under `ulimit -n <hard>` (raising
 * the soft limit up to the hard one needs no privilege) and exits with its
 * code. Returns the limits as text. `hint` says how to need fewer.
 */
export function ensureFileDescriptors(needed: number, hint: string): string {
  const { soft, hard } = fdLimits();
  const text = `soft ${soft}, hard ${hard}`;
  if (soft >= needed) return text;
  if (process.env.BENCH_FD_RAISED) throw new Error(`open-file limit still too low after raising it (${text}; need ${needed})`);
  if (hard < needed) throw new Error(`open-file hard limit ${hard} is below the ${needed} this run needs; ${hint}`);
  process.stdout.write(`Open-file limit ${soft} < ${needed}: re-running under \`ulimit -n ${hard}\`.\n`);
  // Again through bin/run-ts.mjs, which loads TypeScript (process.argv holds only node and this script).
  const argv = [process.execPath, path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "bin", "run-ts.mjs"), ...process.argv.slice(1)];
  const quoted = argv.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(" ");
  const res = spawnSync("sh", ["-c", `ulimit -n ${hard} && exec ${quoted}`], { stdio: "inherit", env: { ...process.env, BENCH_FD_RAISED: "1" } });
  process.exit(res.status ?? 1);
}
