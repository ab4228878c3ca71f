import "server-only";
import { isDatabaseUnavailable } from "../db-errors.ts";
import { hub } from "../events/hub.ts";
import { holdWaitSlot } from "../limits/wait-slots.ts";
import { effectiveStatus, type StoredRequest } from "./serialize-request.ts";

export interface WaitOptions {
  requestId: string;
  /** The waiting agent: its concurrent long-waits are capped (lib/limits/wait-slots.ts). */
  agentId: string;
  /** Reads the request as the caller may see it (throws not_found otherwise); `wokenUp` when a change woke the wait. */
  read: (wokenUp: boolean) => Promise<StoredRequest>;
  waitSeconds: number;
  signal?: AbortSignal;
  /** Called once the wait holds (the call gives back its place among calls in flight: held waits are capped apart). */
  onHold?: () => void;
}

/** While the database is unreachable, a held wait tries its read again this often (and on every wake-up). */
const RETRY_READ_MS = 1_000;

/**
 * Long-wait: holds until the request leaves `pending` (woken by the
 * notification hub, whichever instance committed the change), it expires,
 * `waitSeconds` pass, the client goes away or the server shuts down. It never
 * polls the database: it reads once on arrival and once per wake-up, and
 * wake-ups come only from terminal changes of this request or a hub resync.
 * Only a wait that would hold takes a slot; over the cap it is a 429.
 *
 * A database outage while it holds does not end it: the wait keeps the last
 * state it read and reads again on the next wake-up (the hub resyncs when it
 * reconnects) or every second, so the agent gets the answer once the
 * database is back, or its current state (503 if it still cannot be read)
 * when the wait runs out.
 */
export async function waitForRequest({ requestId, agentId, read, waitSeconds, signal, onHold }: WaitOptions): Promise<StoredRequest> {
  const current = await read(false);
  if (waitSeconds <= 0 || effectiveStatus(current) !== "pending") return current;

  const release = holdWaitSlot(agentId, requestId);
  onHold?.();
  try {
    return await hold(requestId, read, current, waitSeconds, signal);
  } finally {
    release();
  }
}

async function hold(
  requestId: string,
  read: (wokenUp: boolean) => Promise<StoredRequest>,
  first: StoredRequest,
  waitSeconds: number,
  signal?: AbortSignal,
): Promise<StoredRequest> {
  const h = hub();
  await h.ready();
  const deadline = Date.now() + waitSeconds * 1000;
  // Set by every wake-up, cleared before each read: a change announced while
  // a read is in flight (which may have seen the state before it) makes the
  // loop read again at once instead of sleeping through it.
  let signalled = false;
  let wake = () => {};
  const unsubscribe = h.onRequest(requestId, (event) => {
    // A vote that leaves the request pending (M-of-N) is not an answer.
    if (event.kind === "resync" || event.status !== "pending") {
      signalled = true;
      wake();
    }
  });
  const onAbort = () => wake();
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    // Subscribed before this read, so a decision committed since the first
    // read is either seen here or wakes us below.
    let current = first;
    let fresh = await readOrKeep(() => read(false));
    for (;;) {
      if (fresh) current = fresh;
      // The client went away: nobody is left to answer, so nothing more is
      // read (16,000 clients leaving at once must not cost 16,000 reads).
      if (signal?.aborted) return current;
      if (effectiveStatus(current) !== "pending" || h.isClosed()) return fresh ? current : await read(false);
      const until = Math.min(deadline, current.expiresAt.getTime() + 5) - Date.now();
      if (until <= 0) return await read(false);
      if (!signalled) {
        let timer: NodeJS.Timeout | undefined;
        await new Promise<void>((resolve) => {
          wake = resolve;
          timer = setTimeout(resolve, fresh ? until : Math.min(until, RETRY_READ_MS));
        });
        clearTimeout(timer);
      }
      if (signal?.aborted) return current;
      const woken = signalled;
      signalled = false;
      fresh = await readOrKeep(() => read(woken));
    }
  } finally {
    signal?.removeEventListener("abort", onAbort);
    unsubscribe();
  }
}

/** The request as stored now, or null when the database cannot be reached (the caller keeps what it read last). */
async function readOrKeep(read: () => Promise<StoredRequest>): Promise<StoredRequest | null> {
  try {
    return await read();
  } catch (err) {
    if (isDatabaseUnavailable(err)) return null;
    throw err;
  }
}
