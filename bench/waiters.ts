import type http from "node:http";
import { performance } from "node:perf_hooks";
import { keepAliveAgent, request, type HttpResult } from "./http.ts";
import { memoryNow, startMemorySampler } from "./proc.ts";
import { approve, type BenchAgent, type PendingRequest } from "./setup.ts";
import { mapLimit, round, sleep, summarize, type Summary } from "./stats.ts";
import { untilAllWaiting, type Waiter } from "./waiting.ts";

export interface ManyWaitersResult {
  waiters: number;
  /** Waiters whose request a reviewer approved through the review API (their agents are the first half). */
  approvedByReview: number;
  /** Waiters whose agent an admin suspended (the kill switch cancels its pending requests). */
  cancelledBySuspension: number;
  suspendedAgents: number;
  /** Suspensions answered 5xx and retried (status and detail). */
  suspensionRetries: string[];
  decisionConcurrency: number;
  /** Answered 200 with the expected status (`approved` with a grant token, or `cancelled`), or, asking again after the suspension, 403 `agent_suspended`. */
  correct: number;
  wrong: number;
  /** Of `correct`: waiters that asked again after their agent was suspended and were refused (403 `agent_suspended`). */
  refusedAfterSuspension: number;
  /** Still `pending` after MAX_WAITS long-waits of 60 s. */
  pendingAfterFullWait: number;
  /** Waiters that had to wait again (their 60 s ran out before their decision), and the most waits one needed. */
  rewaited: number;
  maxWaits: number;
  /** Waits that got no answer within 120 s and were asked again (an overloaded app). */
  clientTimeouts: number;
  /** Failed requests or other answers, by kind (first few). */
  otherWrong: number;
  wrongExamples: string[];
  earlyAnswers: number;
  waitingConfirmedBy: string;
  /** Opening every waiter until all are parked, ms. */
  parkMs: number;
  /** First decision sent until the last waiter answered, ms. */
  decideAllMs: number;
  /** Opening the first waiter until the last answered, ms. */
  wallMs: number;
  decisionsPerSecond: number;
  /** Decision (or suspension) response → that waiter's response, under this load, ms. */
  wake: Summary;
  memory: {
    /** App RSS just before the waiters were opened, MiB. */
    beforeRssMiB: number;
    /** App RSS with every waiter parked, MiB. */
    parkedRssMiB: number;
    /** (parked − before) / waiters, KiB. */
    perWaiterKiB: number;
    peakRssMiB: number;
    /** App RSS once every waiter was answered, MiB. */
    afterRssMiB: number;
    hwmMiB: number;
    samples: number;
    children: number;
  };
}

/** Sockets being opened at once: under the app's listen backlog (511), so no connection waits for a SYN retransmission. */
const OPENING = 256;
/** Long-waits one agent makes at most on one request (each up to 60 s) before the benchmark counts it as unanswered. */
const MAX_WAITS = 5;

/**
 * An agent waiting the way the README tells agents to: `GET ?wait=60` again
 * while the answer is still `pending`. `sent` resolves once the first GET is
 * written; `done` with the first answer that is not `pending` (or the last).
 */
function loopingWaiter(baseUrl: string, key: string, requestId: string, agent: http.Agent, start: Promise<void>): Waiter & { waits: number; timeouts: number } {
  let markSent!: () => void;
  const sent = new Promise<void>((r) => (markSent = r));
  const w = { requestId, sent, settled: false, waits: 0, timeouts: 0, done: undefined as unknown as Promise<HttpResult> };
  w.done = (async () => {
    await start;
    let res!: HttpResult;
    for (let i = 1; ; i++) {
      w.waits++;
      try {
        res = await request(`${baseUrl}/api/v1/requests/${requestId}?wait=60`, {
          agent,
          headers: { authorization: `Bearer ${key}` },
          timeoutMs: 120_000,
          onSent: markSent,
        });
      } catch (err) {
        // No answer within 120 s (an overloaded app): an agent would ask again; counted.
        if (i >= MAX_WAITS || !String(err).includes("timeout")) throw err;
        w.timeouts++;
        continue;
      }
      if (i >= MAX_WAITS || res.status !== 200 || (JSON.parse(res.body) as { status?: string }).status !== "pending") return res;
    }
  })().finally(() => {
    w.settled = true;
    markSent();
  });
  w.done.catch(() => {});
  return w;
}

interface Ctx {
  baseUrl: string;
  appPid: number;
  /** A reviewer's session (approvals). */
  cookie: string;
  /** An admin's session (suspensions). */
  adminCookie: string;
}

function suspend(baseUrl: string, cookie: string, agentId: string, agent: http.Agent) {
  return request(`${baseUrl}/api/v1/admin/agents/${agentId}/suspend`, {
    method: "POST",
    agent,
    headers: { cookie, origin: baseUrl },
    body: { reason: "benchmark: decide waiting requests by suspension" },
  });
}

/**
 * Thousands of agents long-waiting at once on one app process, then decided:
 * the first half of the agents have their requests approved through the
 * review API (`decisionConcurrency` at a time), the other half are suspended
 * (a few at a time), which cancels all their pending requests at once. Every
 * waiter must answer 200 with `approved` and a grant token, or `cancelled`.
 * Each waiter waits again while its answer is `pending` (as agents do), so
 * the check does not depend on parking 10,000 within one 60 s wait.
 */
export async function measureManyWaiters(
  ctx: Ctx,
  pending: PendingRequest[],
  decisionConcurrency: number,
  log: (l: string) => void,
): Promise<ManyWaitersResult> {
  const count = pending.length;
  const agents = [...new Map(pending.map((p) => [p.agent.agentId, p.agent])).values()];
  const suspended = new Set(agents.slice(Math.ceil(agents.length / 2)).map((a) => a.agentId));
  const bySuspension = (p: PendingRequest) => suspended.has(p.agent.agentId);
  const decider = keepAliveAgent();
  const waitAgent = keepAliveAgent();
  try {
    const before = memoryNow(ctx.appPid);
    const sampler = startMemorySampler(ctx.appPid, 100);
    const t0 = performance.now();
    // At most OPENING sockets connecting at once: waiter i starts once waiter i − OPENING has sent its GET.
    const waiters: (Waiter & { waits: number; timeouts: number })[] = [];
    for (const [i, p] of pending.entries())
      waiters.push(loopingWaiter(ctx.baseUrl, p.agent.key, p.id, waitAgent, i < OPENING ? Promise.resolve() : waiters[i - OPENING].sent));
    const ready = await untilAllWaiting(ctx.baseUrl, ctx.appPid, waiters, 180_000);
    const tParked = performance.now();
    const parked = memoryNow(ctx.appPid);
    const earlyAnswers = waiters.filter((w) => w.settled).length;
    const confirmedBy = `${ready.gauge === null ? "app CPU quiet" : `gauge=${ready.gauge} + app CPU quiet`}, ${earlyAnswers} early answers`;
    log(
      `  ${count} waiters parked in ${(tParked - t0).toFixed(0)} ms (${confirmedBy}); app RSS ${before.rssMiB.toFixed(0)} → ${parked.rssMiB.toFixed(0)} MiB (${(((parked.rssMiB - before.rssMiB) * 1024) / count).toFixed(1)} KiB per waiter)`,
    );

    const decidedAt = new Array<number>(count);
    const tDecide = performance.now();
    const approvals = pending.map((p, i) => ({ p, i })).filter(({ p }) => !bySuspension(p));
    const indexesOf = new Map<string, number[]>();
    pending.forEach((p, i) => {
      if (bySuspension(p)) indexesOf.set(p.agent.agentId, [...(indexesOf.get(p.agent.agentId) ?? []), i]);
    });
    const suspensionRetries: string[] = [];
    const toSuspend: BenchAgent[] = agents.filter((a) => suspended.has(a.agentId));
    await Promise.all([
      mapLimit(approvals, decisionConcurrency, async ({ p, i }) => {
        const res = await approve(ctx.baseUrl, ctx.cookie, p.id, decider);
        decidedAt[i] = performance.now();
        if (res.status !== 200) throw new Error(`decision failed: ${res.status} ${res.body.slice(0, 300)}`);
      }),
      mapLimit(toSuspend, 2, async (a) => {
        // A 5xx (the app could not start a transaction in time) is retried, as an admin would, at most 10 times, and reported.
        for (let attempt = 1; ; attempt++) {
          const res = await suspend(ctx.baseUrl, ctx.adminCookie, a.agentId, decider);
          if (res.status === 200) break;
          if (res.status < 500 || attempt === 10) throw new Error(`suspension failed: ${res.status} ${res.body.slice(0, 300)}`);
          suspensionRetries.push(`${res.status} ${(JSON.parse(res.body) as { detail?: string }).detail ?? ""}`.trim());
          await sleep(500 * attempt);
        }
        const at = performance.now();
        for (const i of indexesOf.get(a.agentId) ?? []) decidedAt[i] = at;
      }),
    ]);
    const tDecided = performance.now();
    const answers = await Promise.allSettled(waiters.map((w) => w.done));
    const tDone = performance.now();
    const memory = sampler.stop();

    let correct = 0;
    let pendingAfterFullWait = 0;
    let refusedAfterSuspension = 0;
    const wrongExamples: string[] = [];
    const wake: number[] = [];
    answers.forEach((a, i) => {
      const wrong = (why: string) => {
        if (wrongExamples.length < 3) wrongExamples.push(why.slice(0, 160));
      };
      if (a.status !== "fulfilled") {
        wrong(String(a.reason).slice(0, 200));
        return;
      }
      const res: HttpResult = a.value;
      let body: { status?: string; code?: string; grant?: { token?: string } | null };
      try {
        body = JSON.parse(res.body);
      } catch {
        wrong(`${res.status} ${res.body.slice(0, 200)}`);
        return;
      }
      const expected = bySuspension(pending[i]) ? "cancelled" : "approved";
      // An agent that asks again after its suspension is refused (its keys are): also the right answer.
      if (expected === "cancelled" && res.status === 403 && body.code === "agent_suspended") {
        correct++;
        refusedAfterSuspension++;
        return;
      }
      const ok =
        res.status === 200 && body.status === expected && (expected === "cancelled" || (typeof body.grant?.token === "string" && body.grant.token.length > 0));
      if (ok) {
        correct++;
        wake.push(res.at - decidedAt[i]);
      } else if (res.status === 200 && body.status === "pending") pendingAfterFullWait++;
      else wrong(`expected ${expected}, got ${res.status} ${res.body.slice(0, 200)}`);
    });
    const w = summarize(wake);
    return {
      waiters: count,
      approvedByReview: approvals.length,
      cancelledBySuspension: count - approvals.length,
      suspendedAgents: toSuspend.length,
      suspensionRetries,
      decisionConcurrency,
      correct,
      wrong: count - correct,
      pendingAfterFullWait,
      refusedAfterSuspension,
      rewaited: waiters.filter((x) => x.waits > 1).length,
      clientTimeouts: waiters.reduce((n, x) => n + x.timeouts, 0),
      maxWaits: Math.max(...waiters.map((x) => x.waits)),
      otherWrong: count - correct - pendingAfterFullWait,
      wrongExamples,
      earlyAnswers,
      waitingConfirmedBy: confirmedBy,
      parkMs: round(tParked - t0, 0),
      decideAllMs: round(tDone - tDecide, 0),
      wallMs: round(tDone - t0, 0),
      decisionsPerSecond: round(count / ((tDecided - tDecide) / 1000), 0),
      wake: { n: w.n, p50: round(w.p50, 2), p90: round(w.p90, 2), p99: round(w.p99, 2), max: round(w.max, 2), min: round(w.min, 2) },
      memory: {
        beforeRssMiB: round(before.rssMiB, 1),
        parkedRssMiB: round(parked.rssMiB, 1),
        perWaiterKiB: round(((parked.rssMiB - before.rssMiB) * 1024) / count, 1),
        peakRssMiB: round(memory.peakRssMiB, 1),
        afterRssMiB: round(memory.endRssMiB, 1),
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
