import "server-only";
import { hub } from "../events/hub.ts";
import { holdWaitSlot } from "../limits/wait-slots.ts";
import { effectiveStatus, type StoredRequest } from "./serialize-request.ts";

export interface WaitOptions {
  requestId: string;
  /** The waiting agent: its concurrent long-waits are capped (lib/limits/wait-slots.ts). */
  agentId: string;
  /** Reads the request as the caller may see it (throws not_found otherwise). */
  read: () => Promise<StoredRequest>;
  waitSeconds: number;
  signal?: AbortSignal;
}

/**
 * Long-wait: holds until the request leaves `pending` (woken by the
 * notification hub, whichever instance committed the change), it expires,
 * `waitSeconds` pass, the client goes away or the server shuts down. It never
 * polls the database: it reads once on arrival and once per wake-up, and
 * wake-ups come only from terminal changes of this request or a hub resync.
 * Only a wait that would hold takes a slot; over the cap it is a 429.
 */
export async function waitForRequest({ requestId, agentId, read, waitSeconds, signal }: WaitOptions): Promise<StoredRequest> {
  const current = await read();
  if (waitSeconds <= 0 || effectiveStatus(current) !== "pending") return current;

  const release = holdWaitSlot(agentId, requestId);
  try {
    return await hold(requestId, read, waitSeconds, signal);
  } finally {
    release();
  }
}

async function hold(requestId: string, read: () => Promise<StoredRequest>, waitSeconds: number, signal?: AbortSignal): Promise<StoredRequest> {
  const h = hub();
  await h.ready();
  const deadline = Date.now() + waitSeconds * 1000;
  let wake = () => {};
  const unsubscribe = h.onRequest(requestId, (event) => {
    // A vote that leaves the request pending (M-of-N) is not an answer.
    if (event.kind === "resync" || event.status !== "pending") wake();
  });
  const onAbort = () => wake();
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    // Subscribed before this read, so a decision committed since the first
    // read is either seen here or wakes us below.
    let current = await read();
    for (;;) {
      if (effectiveStatus(current) !== "pending" || signal?.aborted || h.isClosed()) return current;
      const until = Math.min(deadline, current.expiresAt.getTime() + 5) - Date.now();
      if (until <= 0) return await read();
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        wake = resolve;
        timer = setTimeout(resolve, until);
      });
      clearTimeout(timer);
      current = await read();
    }
  } finally {
    signal?.removeEventListener("abort", onAbort);
    unsubscribe();
  }
}
