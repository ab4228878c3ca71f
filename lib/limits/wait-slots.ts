import "server-only";
import { readFileSync } from "node:fs";
import { env } from "../env.ts";
import { AppError } from "../errors.ts";
import { metrics } from "../metrics.ts";
import { spreadRetryAfter } from "./admission.ts";

const held = new Map<string, number>();
let heldInProcess = 0;

/** Seconds a refused long-wait is told to wait before asking again. */
const RETRY_AFTER_SECONDS = 5;

/** Open files kept for everything but held waits (database connections, calls in flight, files): this many, or half a small limit. */
const FILE_HEADROOM = 1024;

/** The soft limit on open files of this process (Linux), or null where it cannot be read. */
export function openFileLimit(procLimits = "/proc/self/limits"): number | null {
  try {
    const line = readFileSync(procLimits, "utf8")
      .split("\n")
      .find((l) => l.startsWith("Max open files"));
    const soft = line?.slice("Max open files".length).trim().split(/\s+/)[0];
    return soft && /^\d+$/.test(soft) ? Number(soft) : null;
  } catch {
    return null;
  }
}

/** The long-waits an open-file limit leaves room for, at most `configured`. */
export function waitCapFor(configured: number, fileLimit: number | null): number {
  return fileLimit === null ? configured : Math.min(configured, Math.max(Math.floor(fileLimit / 2), fileLimit - FILE_HEADROOM));
}

let cap: { configured: number; effective: number; fileLimit: number | null } | undefined;

/**
 * How many long-waits this process holds at most: COUNTERSIGN_MAX_WAITS, or
 * fewer when the open-file limit could not hold that many connections (each
 * held wait is one), so the process refuses with 503 instead of failing to
 * accept connections at all (health checks included).
 */
export function processWaitCap(): { configured: number; effective: number; fileLimit: number | null } {
  const configured = env().COUNTERSIGN_MAX_WAITS;
  if (cap?.configured !== configured) {
    const fileLimit = openFileLimit();
    cap = { configured, effective: waitCapFor(configured, fileLimit), fileLimit };
  }
  return cap;
}

/**
 * Takes a long-wait slot for `agentId` and for `requestId`, or throws 429
 * when either already holds its cap (COUNTERSIGN_MAX_WAITS_PER_AGENT,
 * COUNTERSIGN_MAX_WAITS_PER_REQUEST), and 503 when the process holds
 * its cap already (`processWaitCap`: before memory or open files run short). Each held wait
 * costs a connection, a subscription and a timer, so one agent must not be
 * able to hold them by the hundred. Counted in this process's memory: the
 * caps are per app instance. Returns the release function (safe to call
 * more than once).
 */
export function holdWaitSlot(agentId: string, requestId: string): () => void {
  const e = env();
  if (heldInProcess >= processWaitCap().effective) {
    metrics().shed.inc({ limit: "waits" });
    throw new AppError("unavailable", "the server holds its maximum of long-waits; ask again shortly", {
      retryAfterSeconds: spreadRetryAfter(RETRY_AFTER_SECONDS, 2 * RETRY_AFTER_SECONDS),
    });
  }
  const slots: [string, number, string][] = [
    [`agent:${agentId}`, e.COUNTERSIGN_MAX_WAITS_PER_AGENT, "this agent is already long-waiting on too many requests"],
    [`request:${requestId}`, e.COUNTERSIGN_MAX_WAITS_PER_REQUEST, "too many long-waits on this request already"],
  ];
  for (const [slot, cap, message] of slots) {
    if ((held.get(slot) ?? 0) >= cap) throw new AppError("rate_limited", message, { retryAfterSeconds: RETRY_AFTER_SECONDS });
  }
  for (const [slot] of slots) held.set(slot, (held.get(slot) ?? 0) + 1);
  heldInProcess++;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    heldInProcess--;
    for (const [slot] of slots) {
      const n = (held.get(slot) ?? 1) - 1;
      if (n <= 0) held.delete(slot);
      else held.set(slot, n);
    }
  };
}
