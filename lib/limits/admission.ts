import "server-only";
import { env } from "../env.ts";
import { AppError } from "../errors.ts";
import { metrics } from "../metrics.ts";

/** Seconds an agent over its own limit is told to wait: its calls in flight drain in milliseconds, so come back soon. */
const RETRY_AFTER_SECONDS = 1;

/**
 * Seconds a call shed because the whole process is full is told to wait:
 * spread over 1–5 s, so thousands of clients refused in the same second do
 * not all come back in the same second again (a synchronised retry storm
 * keeps the process full on refusals alone).
 */
export function spreadRetryAfter(min = 1, max = 5): number {
  return min + Math.floor(Math.random() * (max - min + 1));
}

let inFlight = 0;
const inFlightByAgent = new Map<string, number>();

/** How often the event loop's delay is sampled, and how much each sample weighs in the running average. */
const LAG_SAMPLE_MS = 10;
const LAG_WEIGHT = 0.2;
let lagMs = 0;
let sampling: NodeJS.Timeout | undefined;

/**
 * The event loop's delay, as a running average of how late a 10 ms timer
 * fires. Every step of every call waits about this long for its turn, so a
 * reviewer's decision (a dozen steps) slows down with it: agents' calls are
 * shed while it is over COUNTERSIGN_MAX_EVENT_LOOP_DELAY_MS, before people
 * feel the load. Sampled from the first admitted call on.
 */
function eventLoopDelay(): number {
  if (!sampling) {
    let last = performance.now();
    sampling = setInterval(() => {
      const now = performance.now();
      lagMs += (Math.max(0, now - last - LAG_SAMPLE_MS) - lagMs) * LAG_WEIGHT;
      last = now;
    }, LAG_SAMPLE_MS);
    sampling.unref();
  }
  return lagMs;
}

/** A call admitted to work; `release` (idempotent) gives its places back, when it ends or starts a long-wait. */
export interface Admission {
  /** Counts the call against its agent too (once known): throws 429 when the agent already has its maximum in flight. */
  forAgent(agentId: string): void;
  release(): void;
}

/** What calls that never take a place get: people's calls are not shed (they have their own pool). */
export const UNLIMITED: Admission = { forAgent: () => {}, release: () => {} };

/**
 * Graceful overload for the untrusted side (agents and executors): a call
 * is admitted only while this process's event loop keeps up (its delay under
 * COUNTERSIGN_MAX_EVENT_LOOP_DELAY_MS), it works on fewer than
 * COUNTERSIGN_MAX_INFLIGHT calls, and on fewer than
 * COUNTERSIGN_MAX_INFLIGHT_PER_AGENT of its agent's. Beyond that it is
 * answered at once, 503 (the process is full) or 429 (this agent is), with
 * Retry-After, instead of queueing without bound for a database connection
 * and memory. Held long-waits give their places back (lib/limits/wait-slots.ts
 * caps those). Counted in this process's memory: limits are per instance.
 */
export function admitCall(): Admission {
  const e = env();
  const behind = e.COUNTERSIGN_MAX_EVENT_LOOP_DELAY_MS > 0 && eventLoopDelay() > e.COUNTERSIGN_MAX_EVENT_LOOP_DELAY_MS;
  if (behind || inFlight >= e.COUNTERSIGN_MAX_INFLIGHT) {
    metrics().shed.inc({ limit: behind ? "event_loop" : "process" });
    throw new AppError("unavailable", "the server is at capacity; try again shortly", { retryAfterSeconds: spreadRetryAfter() });
  }
  inFlight++;
  let agent: string | undefined;
  let released = false;
  return {
    forAgent(agentId) {
      if (released || agent !== undefined) return;
      const n = inFlightByAgent.get(agentId) ?? 0;
      if (n >= e.COUNTERSIGN_MAX_INFLIGHT_PER_AGENT) {
        metrics().shed.inc({ limit: "agent" });
        throw new AppError("rate_limited", "this agent already has its maximum of calls in progress; try again shortly", {
          retryAfterSeconds: RETRY_AFTER_SECONDS,
        });
      }
      agent = agentId;
      inFlightByAgent.set(agentId, n + 1);
    },
    release() {
      if (released) return;
      released = true;
      inFlight--;
      if (agent === undefined) return;
      const n = (inFlightByAgent.get(agent) ?? 1) - 1;
      if (n <= 0) inFlightByAgent.delete(agent);
      else inFlightByAgent.set(agent, n);
    },
  };
}

/** Agents whose calls in flight are at their limit now: their next call is refused (a gauge on /api/metrics). */
export function agentsAtCallLimit(): number {
  const max = env().COUNTERSIGN_MAX_INFLIGHT_PER_AGENT;
  let n = 0;
  for (const calls of inFlightByAgent.values()) if (calls >= max) n++;
  return n;
}

/** Calls being worked on now (the gauge on /api/metrics). */
export function callsInFlight(): number {
  return inFlight;
}
