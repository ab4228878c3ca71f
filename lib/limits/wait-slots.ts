import "server-only";
import { env } from "../env.ts";
import { AppError } from "../errors.ts";
import { metrics } from "../metrics.ts";

const held = new Map<string, number>();
let heldInProcess = 0;

/** Seconds a refused long-wait is told to wait before asking again. */
const RETRY_AFTER_SECONDS = 5;

/**
 * Takes a long-wait slot for `agentId` and for `requestId`, or throws 429
 * when either already holds its cap (COUNTERSIGN_MAX_WAITS_PER_AGENT,
 * COUNTERSIGN_MAX_WAITS_PER_REQUEST), and 503 when the process holds
 * COUNTERSIGN_MAX_WAITS already (before memory runs short). Each held wait
 * costs a connection, a subscription and a timer, so one agent must not be
 * able to hold them by the hundred. Counted in this process's memory: the
 * caps are per app instance. Returns the release function (safe to call
 * more than once).
 */
export function holdWaitSlot(agentId: string, requestId: string): () => void {
  const e = env();
  if (heldInProcess >= e.COUNTERSIGN_MAX_WAITS) {
    metrics().shed.inc({ limit: "waits" });
    throw new AppError("unavailable", "the server holds its maximum of long-waits; ask again shortly", { retryAfterSeconds: RETRY_AFTER_SECONDS });
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
