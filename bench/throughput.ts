import autocannon, { type AutocannonResult } from "autocannon";
import { median, round } from "./stats.ts";

export interface ThroughputTarget {
  name: string;
  url: string;
  /** Agent keys, rotated per request (each request goes to the next agent). */
  keys: string[];
  /** Runs before each of this target's rounds (and its warm-up): switches settings on or off. */
  before?: () => Promise<void>;
  /** Runs after each measured round (outside the measurement); its text is added to the round's line. */
  after?: () => Promise<string | undefined>;
}

export interface ThroughputRound {
  target: ThroughputTarget["name"];
  round: number;
  requestsPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  latencyMaxMs: number;
  completed: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
}

export interface ThroughputSummary {
  target: ThroughputTarget["name"];
  rounds: ThroughputRound[];
  medianRequestsPerSecond: number;
  medianLatencyP50Ms: number;
  medianLatencyP99Ms: number;
  totalNon2xx: number;
  totalErrors: number;
}

export interface ThroughputOptions {
  connections: number;
  durationSeconds: number;
  /** Request bodies (JSON), sent in turn: a pool from bench/bodies.ts, or one body where a benchmark isolates one path. */
  bodies: string[];
}

/** Where the next blast starts in the body pool, so successive rounds do not replay one sequence. */
let bodyCursor = 0;

/** One autocannon run: POST /api/v1/requests with a rotating bearer key and the next body of the pool. */
export async function blast(target: ThroughputTarget, o: ThroughputOptions): Promise<AutocannonResult> {
  let n = 0;
  const headers = { "content-type": "application/json" };
  const { bodies } = o;
  return autocannon({
    url: `${target.url}/api/v1/requests`,
    connections: o.connections,
    duration: o.durationSeconds,
    timeout: 30,
    requests: [
      {
        method: "POST",
        body: bodies[0],
        setupRequest: (req) => ({
          ...req,
          body: bodies[bodyCursor++ % bodies.length],
          headers: { ...headers, authorization: `Bearer ${target.keys[n++ % target.keys.length]}` },
        }),
      },
    ],
  });
}

function toRound(target: ThroughputTarget, round: number, r: AutocannonResult): ThroughputRound {
  const statusCodes: Record<string, number> = {};
  for (const [code, { count }] of Object.entries(r.statusCodeStats)) statusCodes[code] = count;
  return {
    target: target.name,
    round,
    requestsPerSecond: round1(r["2xx"] / r.duration),
    latencyP50Ms: r.latency.p50,
    latencyP99Ms: r.latency.p99,
    latencyMaxMs: r.latency.max,
    completed: r["2xx"],
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    statusCodes,
  };
}

const round1 = (n: number) => round(n, 1);

/** Two summaries of interleaved rounds, compared: b / a from the medians, and the median of each round's b / a. */
export interface PairResult {
  a: ThroughputSummary;
  b: ThroughputSummary;
  ratio: number;
  pairedRatio: number;
}

export function comparePair([a, b]: ThroughputSummary[]): PairResult {
  const paired = median(b.rounds.map((r, i) => r.requestsPerSecond / a.rounds[i].requestsPerSecond));
  return { a, b, ratio: round(b.medianRequestsPerSecond / a.medianRequestsPerSecond, 3), pairedRatio: round(paired, 3) };
}

/**
 * Warms each target up once, then runs `rounds` measured rounds alternating
 * baseline and app, so drift on a noisy machine hits both alike.
 */
export async function measureThroughput(
  targets: ThroughputTarget[],
  o: ThroughputOptions & { rounds: number; warmupSeconds: number; warmup?: boolean; alternate?: boolean },
  log: (line: string) => void,
): Promise<ThroughputSummary[]> {
  for (const t of o.warmup === false ? [] : targets) {
    log(`  warm-up ${t.name} (${o.warmupSeconds} s)`);
    await t.before?.();
    const w = await blast(t, { ...o, durationSeconds: o.warmupSeconds });
    if (w.non2xx || w.errors) log(`  warning: warm-up of ${t.name} had ${w.non2xx} non-2xx and ${w.errors} errors`);
  }
  const rounds: ThroughputRound[] = [];
  const width = Math.max(...targets.map((t) => t.name.length));
  for (let i = 1; i <= o.rounds; i++) {
    // `alternate`: every other round runs the targets in reverse order (a b, b a, a b: fewer switches where switching costs).
    for (const t of o.alternate && i % 2 === 0 ? [...targets].reverse() : targets) {
      await t.before?.();
      const r = toRound(t, i, await blast(t, o));
      rounds.push(r);
      const note = await t.after?.();
      log(
        `  round ${i} ${t.name.padEnd(width)} ${r.requestsPerSecond.toFixed(0).padStart(6)} req/s  p50 ${r.latencyP50Ms} ms  p99 ${r.latencyP99Ms} ms  non-2xx ${r.non2xx}${
          r.non2xx
            ? ` (${Object.entries(r.statusCodes)
                .filter(([c]) => !c.startsWith("2"))
                .map(([c, k]) => `${k}×${c}`)
                .join(", ")})`
            : ""
        }  errors ${r.errors}${note ? `  ${note}` : ""}`,
      );
    }
  }
  return targets.map((t) => {
    const mine = rounds.filter((r) => r.target === t.name);
    return {
      target: t.name,
      rounds: mine,
      medianRequestsPerSecond: round1(median(mine.map((r) => r.requestsPerSecond))),
      medianLatencyP50Ms: median(mine.map((r) => r.latencyP50Ms)),
      medianLatencyP99Ms: median(mine.map((r) => r.latencyP99Ms)),
      totalNon2xx: mine.reduce((s, r) => s + r.non2xx, 0),
      totalErrors: mine.reduce((s, r) => s + r.errors + r.timeouts, 0),
    };
  });
}
