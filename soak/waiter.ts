import type http from "node:http";
import { performance } from "node:perf_hooks";
import type { HttpResult } from "../bench/http.ts";
import { sleep } from "../bench/stats.ts";
import { retryAfterSeconds, send, type Traffic } from "./traffic.ts";

/**
 * Long-waits being placed at once: under the app's listen backlog (511), as
 * bench/waiters.ts does, and under its cap on calls in flight (256 by
 * default: a wait counts until it holds).
 */
export const OPENING = 200;

export interface PatientWaiter {
  requestId: string;
  /** Resolves once the first GET is written to its socket (or the waiter gave up before). */
  sent: Promise<void>;
  /** The last answer: the first that is not `pending` (or the refusal, with `retryRefusals: false`), or null if none came before the deadline; a last `pending` when the deadline came first. */
  done: Promise<HttpResult | null>;
  settled: boolean;
  /** Long-waits asked (one per GET that was answered 200 pending, plus the last). */
  waits: number;
  /** 429/503 answers waited out (Retry-After). */
  refusals: number;
  /** Calls that got no answer (connection refused or reset, timeout). */
  failures: number;
}

/**
 * An agent that waits for its decision the way agents are told to: `GET
 * /api/v1/requests/{id}?wait=N`, again while the answer is `pending`; after
 * a 429 or 503 it waits `Retry-After` and asks again (unless
 * `retryRefusals` is false: then the refusal is its answer); after a call
 * with no answer it asks the next instance in `urls` (a client behind a load
 * balancer). Gives up at `deadline` (performance.now() ms) or when `signal` aborts.
 */
export function patientWaiter(o: {
  urls: string[];
  key: string;
  requestId: string;
  agent: http.Agent;
  traffic: Traffic;
  deadline: number;
  /** Opens the first GET only once this resolves (to bound sockets connecting at once). */
  start?: Promise<void>;
  waitSeconds?: number;
  retryRefusals?: boolean;
  /** Returns the first answer that is not a refusal (even `pending`): one wait, placed patiently; a call without answer then ends it (null). */
  firstAnswer?: boolean;
  /** Stops asking (with the last answer); destroy `agent` too, to end a call in flight. */
  signal?: AbortSignal;
}): PatientWaiter {
  let markSent!: () => void;
  const sent = new Promise<void>((r) => (markSent = r));
  const w: PatientWaiter = { requestId: o.requestId, sent, settled: false, waits: 0, refusals: 0, failures: 0, done: Promise.resolve(null) };
  const wait = o.waitSeconds ?? 60;
  w.done = (async () => {
    await o.start;
    let u = 0;
    let last: HttpResult | null = null;
    for (;;) {
      const left = o.deadline - performance.now();
      if (left < 1000 || o.signal?.aborted) return last;
      let res: HttpResult;
      try {
        res = await send(
          o.traffic,
          "wait",
          `${o.urls[u]}/api/v1/requests/${o.requestId}?wait=${Math.min(wait, Math.floor(left / 1000))}`,
          {
            agent: o.agent,
            headers: { authorization: `Bearer ${o.key}` },
            timeoutMs: Math.min(left, (wait + 15) * 1000),
            onSent: markSent,
          },
          o.signal,
        );
      } catch {
        if (o.signal?.aborted) return last;
        w.failures++;
        if (o.firstAnswer) return null;
        u = (u + 1) % o.urls.length;
        await sleep(Math.min(250, Math.max(0, o.deadline - performance.now())));
        continue;
      }
      w.waits++;
      last = res;
      if (res.status === 429 || res.status === 503) {
        w.refusals++;
        if (o.retryRefusals === false) return res;
        await sleep(Math.min(retryAfterSeconds(res) * 1000, Math.max(0, o.deadline - performance.now())));
        continue;
      }
      if (o.firstAnswer || res.status !== 200 || statusOf(res) !== "pending") return res;
    }
  })().finally(() => {
    w.settled = true;
    markSent();
  });
  w.done.catch(() => {});
  return w;
}

/** `status` of a request object answer, if it is one. */
export function statusOf(res: HttpResult | null): string | undefined {
  if (!res) return undefined;
  try {
    return (JSON.parse(res.body) as { status?: string }).status;
  } catch {
    return undefined;
  }
}

/** `{ "200 cancelled": 9998, "no answer": 2 }`: how a set of waiters ended. */
export function outcomes(answers: (HttpResult | null)[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const a of answers) {
    const key = a ? `${a.status} ${statusOf(a) ?? codeOf(a) ?? ""}`.trim() : "no answer";
    out[key] = (out[key] ?? 0) + 1;
  }
  return out;
}

function codeOf(res: HttpResult): string | undefined {
  try {
    return (JSON.parse(res.body) as { code?: string }).code;
  } catch {
    return undefined;
  }
}

/** Up to three waiters whose last answer fails `ok`, described for a check's detail ("" when none). */
export function wrongOnes(
  ws: PatientWaiter[],
  final: (HttpResult | null)[],
  ok: (a: HttpResult | null, i: number) => boolean,
  note: (i: number) => string = () => "",
): string {
  const wrong = final.map((a, i) => ({ a, i })).filter(({ a, i }) => !ok(a, i));
  if (wrong.length === 0) return "";
  const one = ({ a, i }: { a: HttpResult | null; i: number }) =>
    `${ws[i].requestId}: ${a ? `${a.status} ${statusOf(a) ?? ""}`.trim() : "no answer"} after ${ws[i].waits} waits, ${ws[i].refusals} refusals, ${ws[i].failures} failed calls${note(i)}`;
  return `; e.g. ${wrong.slice(0, 3).map(one).join("; ")}`;
}
