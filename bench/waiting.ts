import type http from "node:http";
import { type HttpResult, request } from "./http.ts";
import { waitForCpuQuiet } from "./proc.ts";
import { sleep } from "./stats.ts";

export interface Waiter {
  requestId: string;
  /** Resolves once the GET is fully written to its socket. */
  sent: Promise<void>;
  done: Promise<HttpResult>;
  settled: boolean;
}

/** An agent long-waiting on `GET /api/v1/requests/{id}?wait=60`. */
export function openWaiter(baseUrl: string, key: string, requestId: string, agent: http.Agent, waitSeconds = 60): Waiter {
  let markSent!: () => void;
  const sent = new Promise<void>((r) => (markSent = r));
  const w: Waiter = { requestId, sent, settled: false, done: undefined as unknown as Promise<HttpResult> };
  w.done = request(`${baseUrl}/api/v1/requests/${requestId}?wait=${waitSeconds}`, {
    agent,
    headers: { authorization: `Bearer ${key}` },
    timeoutMs: (waitSeconds + 15) * 1000,
    onSent: markSent,
  }).finally(() => (w.settled = true));
  w.done.catch(() => {});
  return w;
}

/** The app's `countersign_waiting_agents` gauge, or null when /api/metrics is absent or disabled. */
export async function waitingGauge(baseUrl: string): Promise<number | null> {
  try {
    const res = await fetch(`${baseUrl}/api/metrics`);
    if (!res.ok) return null;
    const m = /^countersign_waiting_agents(?:\{[^}]*\})?\s+(\d+(?:\.\d+)?)/m.exec(await res.text());
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/**
 * Waits until `expected` waiters are parked in the app: by the metrics gauge
 * when the app exposes it, and in any case until the app's CPU goes quiet
 * (every waiter has done its reads and is subscribed). Returns how it knew.
 */
export async function untilAllWaiting(
  baseUrl: string,
  pid: number,
  waiters: Pick<Waiter, "sent">[],
  timeoutMs = 30_000,
): Promise<{ gauge: number | null; cpuQuiet: boolean; ms: number }> {
  const started = performance.now();
  await Promise.all(waiters.map((w) => w.sent));
  const deadline = Date.now() + timeoutMs;
  let gauge = await waitingGauge(baseUrl);
  while (gauge !== null && gauge < waiters.length && Date.now() < deadline) {
    await sleep(100);
    gauge = await waitingGauge(baseUrl);
  }
  const cpuQuiet = await waitForCpuQuiet(pid, Math.max(1000, deadline - Date.now()));
  return { gauge, cpuQuiet, ms: performance.now() - started };
}
