import { randomBytes } from "node:crypto";

interface Entry {
  generation: number;
  /** The request of this generation, until the caller has seen its decision. */
  open?: string;
}

/**
 * Which request a tool call belongs to.
 *
 * A call that ended while its request was still pending leaves that request
 * open: calling the same tool again with the same arguments continues it
 * (waits on, and if approved, runs it) instead of asking again. Once the
 * caller has been told the decision (approved and run, denied, expired,
 * cancelled), the same arguments are a new question: the next generation of
 * the idempotency key asks anew, so a decided request's key is never reused.
 *
 * Keys are scoped to this process (one MCP session on stdio): a later session
 * starts afresh and never finds an earlier session's decided request.
 */
export class OpenCalls {
  private readonly session = randomBytes(8).toString("hex");
  private readonly entries = new Map<string, Entry>();

  /** The request to continue for this call, if one is open. */
  open(fingerprint: string): string | undefined {
    return this.entries.get(fingerprint)?.open;
  }

  /** The idempotency key for a new request for this call. */
  key(fingerprint: string): string {
    const entry = this.entries.get(fingerprint) ?? { generation: 0 };
    this.entries.set(fingerprint, entry);
    return `mcp-proxy-${this.session}-${fingerprint}-${entry.generation}`;
  }

  /** `requestId` answers this call (made with the current key): it stays open until its decision is delivered. */
  opened(fingerprint: string, requestId: string): void {
    const entry = this.entries.get(fingerprint) ?? { generation: 0 };
    entry.open = requestId;
    this.entries.set(fingerprint, entry);
  }

  /** The caller has the decision on `requestId`: the next identical call asks anew (once, however many calls saw it). */
  delivered(fingerprint: string, requestId: string): void {
    const entry = this.entries.get(fingerprint);
    if (entry?.open !== requestId) return;
    entry.open = undefined;
    entry.generation += 1;
  }
}
