import { performance } from "node:perf_hooks";
import { keepAliveAgent, parseJson } from "./http.ts";
import { approve, type PendingRequest } from "./setup.ts";
import { round, summarize, type Summary } from "./stats.ts";
import { openWaiter, untilAllWaiting } from "./waiting.ts";

export interface LatencyResult {
  requests: number;
  warmup: number;
  /** Decision response received → waiting agent's response received, ms (negative: the agent heard first). */
  wake: Summary;
  /** Round trip of the decision call itself, ms. */
  decisionRoundTrip: Summary;
  agentHeardFirst: number;
  wrongAnswers: number;
  earlyAnswers: number;
  waitingConfirmedBy: string;
}

interface Ctx {
  baseUrl: string;
  appPid: number;
  cookie: string;
}

/**
 * N pending requests, each with an agent long-waiting on it over keep-alive;
 * then decisions one at a time, timing from the decision call's response to
 * the waiter's response, in this process on one clock.
 */
export async function measureDecisionLatency(ctx: Ctx, pending: PendingRequest[], warmup: number, log: (l: string) => void): Promise<LatencyResult> {
  const total = pending.length;
  const n = total - warmup;
  const decider = keepAliveAgent();
  const waitAgent = keepAliveAgent();
  try {
    const waiters = pending.map((p) => openWaiter(ctx.baseUrl, p.agent.key, p.id, waitAgent));
    const ready = await untilAllWaiting(ctx.baseUrl, ctx.appPid, waiters);
    const earlyAnswers = waiters.filter((w) => w.settled).length;
    const confirmedBy = `${ready.gauge === null ? "app CPU quiet" : `gauge=${ready.gauge} + app CPU quiet`} after ${ready.ms.toFixed(0)} ms, ${earlyAnswers} early answers`;
    log(`  ${total} waiters parked (${confirmedBy})`);

    const wake: number[] = [];
    const rtt: number[] = [];
    let wrongAnswers = 0;
    let heardFirst = 0;
    for (let i = 0; i < total; i++) {
      const t0 = performance.now();
      const res = await approve(ctx.baseUrl, ctx.cookie, pending[i].id, decider);
      const t1 = performance.now();
      if (res.status !== 200) throw new Error(`decision failed: ${res.status} ${res.body.slice(0, 300)}`);
      const answer = await Promise.race([
        waiters[i].done,
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`waiter ${pending[i].id} not woken within 10 s`)), 10_000)),
      ]);
      const body = parseJson<{ status?: string }>(answer);
      if (answer.status !== 200 || body.status !== "approved") wrongAnswers++;
      if (i < warmup) continue;
      wake.push(answer.at - t1);
      rtt.push(t1 - t0);
      if (answer.at < t1) heardFirst++;
    }
    const r = (s: Summary): Summary => ({
      n: s.n,
      p50: round(s.p50, 2),
      p90: round(s.p90, 2),
      p99: round(s.p99, 2),
      max: round(s.max, 2),
      min: round(s.min, 2),
    });
    return {
      requests: n,
      warmup,
      wake: r(summarize(wake)),
      decisionRoundTrip: r(summarize(rtt)),
      agentHeardFirst: heardFirst,
      wrongAnswers,
      earlyAnswers,
      waitingConfirmedBy: confirmedBy,
    };
  } finally {
    decider.destroy();
    waitAgent.destroy();
  }
}
