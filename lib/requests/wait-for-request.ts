import { hub } from "../events/hub.ts";
import { effectiveStatus, type StoredRequest } from "./serialize-request.ts";

export interface WaitOptions {
  requestId: string;
  /** Reads the request as the caller may see it (throws not_found otherwise). */
  read: () => Promise<StoredRequest>;
  waitSeconds: number;
  signal?: AbortSignal;
}

/**
 * Long-wait: answers as soon as the request leaves `pending` (woken by the
 * notification hub, whichever instance committed the change), when it
 * expires, when `waitSeconds` pass, or when the client goes away. It never
 * polls the database: the only reads are one before and one after waking.
 */
export async function waitForRequest({ requestId, read, waitSeconds, signal }: WaitOptions): Promise<StoredRequest> {
  const first = await read();
  if (waitSeconds <= 0 || effectiveStatus(first) !== "pending") return first;

  const h = hub();
  await h.ready();
  let wake!: () => void;
  const woken = new Promise<void>((resolve) => (wake = resolve));
  // Subscribe, then read again: a decision that committed between the first
  // read and the subscription is seen by this second read.
  const unsubscribe = h.onRequest(requestId, () => wake());
  const timers: NodeJS.Timeout[] = [];
  const onAbort = () => wake();
  try {
    const current = await read();
    if (effectiveStatus(current) !== "pending") return current;
    const untilExpiry = current.expiresAt.getTime() - Date.now();
    timers.push(setTimeout(wake, Math.max(0, Math.min(waitSeconds * 1000, untilExpiry + 5))));
    signal?.addEventListener("abort", onAbort, { once: true });
    await woken;
    return await read();
  } finally {
    timers.forEach(clearTimeout);
    signal?.removeEventListener("abort", onAbort);
    unsubscribe();
  }
}
