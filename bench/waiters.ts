import { performance } from "node:perf_hooks";
import { keepAliveAgent, type HttpResult } from "./http.ts";
import { startMemorySampler } from "./proc.ts";
import { approve, type PendingRequest } from "./setup.ts";
import { mapLimit, round, summarize, type Summary } from "./stats.ts";
import { openWaiter, untilAllWaiting } from "./waiting.ts";

export interface ManyWaitersResult {
  waiters: number;
  decisionConcurrency: number;
  correct: number;
  wrong: number;
  /** Answered `pending` when their 60 s wait ran out, before their decision was made (decisions too slow, not a missed wake-up). */
  pendingAfterFullWait: number;
  /** Failed requests or other answers. */
  otherWrong: number;
  earlyAnswers: number;
  waitingConfirmedBy: string;
  /** Opening every waiter until all are parked, ms. */
  parkMs: number;
  /** First decision sent until the last waiter answered, ms. */
  decideAllMs: number;
  /** Opening the first waiter until the last answered, ms. */
  wallMs: number;
  decisionsPerSecond: number;
  /** Decision response → that waiter's response, under this load, ms. */
  wake: Summary;
  memory: { startRssMiB: number; peakRssMiB: number; endRssMiB: number; hwmMiB: number; samples: number; children: number };
}

interface Ctx {
  baseUrl: string;
  appPid: number;
  cookie: string;
}

/** Thousands of agents long-waiting at once on one app process, then approved. */
export async function measureManyWaiters(
  ctx: Ctx,
  pending: PendingRequest[],
  decisionConcurrency: number,
  log: (l: string) => void,
): Promise<ManyWaitersResult> {
  const count = pending.length;
  const decider = keepAliveAgent();
  const waitAgent = keepAliveAgent();
  try {
    const sampler = startMemorySampler(ctx.appPid, 100);
    const t0 = performance.now();
    const waiters = pending.map((p) => openWaiter(ctx.baseUrl, p.agent.key, p.id, waitAgent));
    const ready = await untilAllWaiting(ctx.baseUrl, ctx.appPid, waiters);
    const tParked = performance.now();
    const earlyAnswers = waiters.filter((w) => w.settled).length;
    const confirmedBy = `${ready.gauge === null ? "app CPU quiet" : `gauge=${ready.gauge} + app CPU quiet`}, ${earlyAnswers} early answers`;
    log(`  ${count} waiters parked in ${(tParked - t0).toFixed(0)} ms (${confirmedBy})`);

    const decidedAt = new Array<number>(count);
    const tDecide = performance.now();
    await mapLimit(pending, decisionConcurrency, async (p, i) => {
      const res = await approve(ctx.baseUrl, ctx.cookie, p.id, decider);
      decidedAt[i] = performance.now();
      if (res.status !== 200) throw new Error(`decision failed: ${res.status} ${res.body.slice(0, 300)}`);
    });
    const tDecided = performance.now();
    const answers = await Promise.allSettled(waiters.map((w) => w.done));
    const tDone = performance.now();
    const memory = sampler.stop();

    let correct = 0;
    let pendingAfterFullWait = 0;
    const wake: number[] = [];
    answers.forEach((a, i) => {
      if (a.status !== "fulfilled") return;
      const res: HttpResult = a.value;
      try {
        const body = JSON.parse(res.body) as { status?: string; grant?: { token?: string } | null };
        if (res.status === 200 && body.status === "approved" && typeof body.grant?.token === "string" && body.grant.token.length > 0) {
          correct++;
          wake.push(res.at - decidedAt[i]);
        } else if (res.status === 200 && body.status === "pending" && res.at <= decidedAt[i]) pendingAfterFullWait++;
      } catch {
        // counted as wrong
      }
    });
    const w = summarize(wake);
    return {
      waiters: count,
      decisionConcurrency,
      correct,
      wrong: count - correct,
      pendingAfterFullWait,
      otherWrong: count - correct - pendingAfterFullWait,
      earlyAnswers,
      waitingConfirmedBy: confirmedBy,
      parkMs: round(tParked - t0, 0),
      decideAllMs: round(tDone - tDecide, 0),
      wallMs: round(tDone - t0, 0),
      decisionsPerSecond: round(count / ((tDecided - tDecide) / 1000), 0),
      wake: { n: w.n, p50: round(w.p50, 2), p90: round(w.p90, 2), p99: round(w.p99, 2), max: round(w.max, 2), min: round(w.min, 2) },
      memory: {
        startRssMiB: round(memory.startRssMiB, 1),
        peakRssMiB: round(memory.peakRssMiB, 1),
        endRssMiB: round(memory.endRssMiB, 1),
        hwmMiB: round(memory.hwmMiB, 1),
        samples: memory.samples,
        children: memory.children,
      },
    };
  } finally {
    decider.destroy();
    waitAgent.destroy();
  }
}
