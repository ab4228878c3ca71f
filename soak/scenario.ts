import type http from "node:http";
import { performance } from "node:perf_hooks";
import type { HttpResult } from "../bench/http.ts";
import { sleep, summarize } from "../bench/stats.ts";
import { waitingGauge } from "../bench/waiting.ts";
import type { Checks, Figures } from "./checks.ts";
import type { Knobs } from "./knobs.ts";
import { retryAfterSeconds, send, type Traffic } from "./traffic.ts";

export interface ScenarioRun {
  knobs: Knobs;
  log: (line: string) => void;
  checks: Checks;
  figures: Figures;
  /** The open-file hard limit (the app inherits it). */
  fdLimit: number;
  /** Records what the app ran with beyond the defaults, for the summary. */
  appEnv(description: string): void;
}

export interface Scenario {
  name: string;
  title: string;
  run(r: ScenarioRun): Promise<void>;
}

/** "p50 12.3 ms, p99 45.6 ms, max 78.9 ms (n 1,234)", or "no samples". */
export function ms(samples: readonly number[]): string {
  if (samples.length === 0) return "no samples";
  const s = summarize(samples);
  const f = (n: number) => `${n < 10 ? n.toFixed(2) : n.toFixed(1)} ms`;
  return `p50 ${f(s.p50)}, p99 ${f(s.p99)}, max ${f(s.max)} (n ${s.n.toLocaleString("en-US")})`;
}

export const seconds = (msValue: number) => `${(msValue / 1000).toFixed(1)} s`;

/** Polls the instance's `countersign_waiting_agents` gauge until it reaches `expected` or `timeoutMs` pass; returns the last reading. */
export async function untilGauge(url: string, expected: number, timeoutMs: number): Promise<number | null> {
  const deadline = performance.now() + timeoutMs;
  let g = await waitingGauge(url);
  while ((g ?? 0) < expected && performance.now() < deadline) {
    await sleep(100);
    g = await waitingGauge(url);
  }
  return g;
}

/** A reviewer's decision through `POST /api/v1/requests/{id}/decisions`, as the dashboard sends it (session cookie, same origin). */
export function decide(
  traffic: Traffic,
  url: string,
  cookie: string,
  requestId: string,
  decision: "approve" | "deny",
  agent: http.Agent,
  timeoutMs = 30_000,
): Promise<HttpResult> {
  return send(traffic, "decide", `${url}/api/v1/requests/${requestId}/decisions`, {
    method: "POST",
    agent,
    headers: { cookie, origin: url },
    body: { decision, reason: `soak: ${decision} under load` },
    timeoutMs: Math.max(1000, Math.min(30_000, timeoutMs)),
  });
}

/** Races `p` against a timer: its value, or `undefined` after `timeoutMs`. */
export async function within<T>(p: Promise<T>, timeoutMs: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), timeoutMs)));
  try {
    return await Promise.race([p, t]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A health poller: `GET /api/health` every `everyMs` until stopped; every
 * answer counted under `health`, and labelled with the phase set last.
 */
export function pollHealth(traffic: Traffic, urls: string[], agent: http.Agent, everyMs = 1000) {
  const results: { url: string; status: number | "no answer"; ms: number; phase: string }[] = [];
  let phase = "start";
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      await Promise.all(
        urls.map(async (url) => {
          const t0 = performance.now();
          try {
            const res = await send(traffic, "health", `${url}/api/health`, { agent, timeoutMs: 5000 });
            results.push({ url, status: res.status, ms: res.at - t0, phase });
          } catch {
            results.push({ url, status: "no answer", ms: performance.now() - t0, phase });
          }
        }),
      );
      await sleep(everyMs);
    }
  })();
  return {
    results,
    phase(name: string) {
      phase = name;
    },
    async stop() {
      stopped = true;
      await loop;
      return results;
    },
  };
}

/**
 * Decides `id` (approve), as a reviewer would: after a 503 (or 429), or a
 * call without answer, again (after Retry-After) until `deadline`
 * (performance.now() ms). `decided`: answered 200, or 409 after an attempt
 * that got no answer or a 503 (that attempt committed). `answer` is the last
 * answer (null: none before the deadline).
 */
export async function decideUntilAnswered(
  traffic: Traffic,
  agent: http.Agent,
  url: string,
  cookie: string,
  id: string,
  deadline: number,
): Promise<{ decided: boolean; answer: HttpResult | null }> {
  let answer: HttpResult | null = null;
  let retried = false;
  while (performance.now() < deadline - 1000) {
    try {
      answer = await decide(traffic, url, cookie, id, "approve", agent, deadline - performance.now());
    } catch {
      retried = true;
      await sleep(500);
      continue;
    }
    if (answer.status !== 503 && answer.status !== 429) return { decided: answer.status === 200 || (answer.status === 409 && retried), answer };
    retried = true;
    await sleep(Math.min(retryAfterSeconds(answer) * 1000, Math.max(0, deadline - performance.now())));
  }
  return { decided: false, answer };
}
