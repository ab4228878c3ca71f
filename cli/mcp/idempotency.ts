import { createHash, randomBytes } from "node:crypto";
import canonicalize from "canonicalize";

interface Issued {
  generation: number;
  requestId?: string;
}

/**
 * Idempotency keys for request_approval calls that did not bring their own.
 *
 * MCP clients retry tool calls (after a timeout, a reconnect, a model that
 * repeats itself), and a retry must find the request already made instead of
 * putting a second copy in front of the reviewers. So the key is derived from
 * the arguments, scoped to this server process (one MCP session on stdio).
 *
 * Asking again for the same thing after the first approval was used up (its
 * grant redeemed or expired) or after the request expired is a new question,
 * not a retry: then the next generation of the key is used. A denial is not
 * used up: asking again with identical arguments returns the same denial.
 */
export class SessionIdempotency {
  private readonly session = randomBytes(8).toString("hex");
  private readonly issued = new Map<string, Issued>();

  /** The fingerprint of what is being asked for (not of how long to wait). */
  fingerprint(body: Record<string, unknown>): string {
    return createHash("sha256")
      .update(canonicalize(body) ?? "")
      .digest("hex")
      .slice(0, 40);
  }

  /** The request last made for this fingerprint, if any. */
  previous(fingerprint: string): string | undefined {
    return this.issued.get(fingerprint)?.requestId;
  }

  /**
   * The key to use now. `spent` names the earlier request when it turned out
   * to be used up: then the next generation starts (once, however many calls
   * found it spent at the same time).
   */
  key(fingerprint: string, spent?: string): string {
    let entry = this.issued.get(fingerprint) ?? { generation: 0 };
    if (spent !== undefined && entry.requestId === spent) entry = { generation: entry.generation + 1 };
    this.issued.set(fingerprint, entry);
    return `mcp-${this.session}-${fingerprint}-${entry.generation}`;
  }

  remember(fingerprint: string, requestId: string): void {
    const entry = this.issued.get(fingerprint);
    if (entry) entry.requestId = requestId;
  }
}
