// What every benchmark script shares: settings from the environment, the
// throughput-round options, and how a script ends.
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
