import "server-only";
import { randomUUID } from "node:crypto";
import { logger } from "../logger.ts";
import { hub } from "./hub.ts";

export const CHANNEL = "countersign_events";

/** A request's status changed: small and free of agent-supplied text. */
export interface RequestChanged {
  kind: "request";
  id: string;
  agent_id: string;
  status: string;
}

/** Rules, their order or the default changed: every instance drops its cached rule set. */
export interface PolicyChanged {
  kind: "policy";
}

/**
 * A user's sessions changed (signed out, disabled, role, groups or password):
 * every instance closes that user's live streams (only `session_id`'s, when
 * given), which reconnect, and are authorised again, if the session still
 * lives.
 */
export interface SessionsChanged {
  kind: "sessions";
  user_id: string;
  session_id?: string;
}

/** The sealer chained more audit events: webhook and SIEM dispatchers read them now. */
export interface AuditSealed {
  kind: "audit";
}

export type Change = RequestChanged | PolicyChanged | SessionsChanged | AuditSealed;

/** What one NOTIFY carries: the changes one instance announced in one tick. */
export interface ChangeBatch {
  from: string;
  changes: Change[];
}

/** This process, so that it skips its own notifications (it woke its waiters already). */
export const INSTANCE_ID = randomUUID();

/**
 * How long changes gather before one NOTIFY carries them to other instances:
 * under load one statement per few milliseconds instead of one per change;
 * waiters here are woken at once regardless.
 */
const BATCH_MS = 5;

/** PostgreSQL refuses NOTIFY payloads of 8,000 bytes or more. */
const MAX_PAYLOAD_BYTES = 7_500;

let queued: Change[] = [];
let flushing = false;

/**
 * Announces changes that have COMMITTED; call it after the transaction, never
 * inside one. Waiters in this process wake at once; other instances hear
 * of it through one batched `NOTIFY` every few milliseconds, sent on the
 * hub's own connection (never queued behind agents for the pool) outside any request's
 * transaction (a `NOTIFY` inside a transaction takes PostgreSQL's global
 * notify lock at commit, serialising every writer). If this process dies
 * between the commit and the send, other instances' waiters learn of the
 * change when their wait ends or their listener resyncs; nothing is lost,
 * since every waiter re-reads the database before answering.
 */
export function announce(changes: readonly Change[]): void {
  if (changes.length === 0) return;
  const h = hub();
  // One by one, never spread: a suspension may cancel a hundred thousand requests at once.
  for (const change of changes) {
    h.deliver(change);
    queued.push(change);
  }
  if (!flushing) {
    flushing = true;
    setTimeout(flush, BATCH_MS);
  }
}

/** Shorthand: these requests changed status (after commit). */
export function announceRequests(changes: Omit<RequestChanged, "kind">[]): void {
  announce(changes.map((c) => ({ kind: "request" as const, id: c.id, agent_id: c.agent_id, status: c.status })));
}

/** Splits changes into NOTIFY payloads under PostgreSQL's limit. */
export function payloadsOf(changes: Change[], from = INSTANCE_ID): string[] {
  const payloads: string[] = [];
  let batch: Change[] = [];
  let size = 0;
  const overhead = JSON.stringify({ from, changes: [] } satisfies ChangeBatch).length;
  for (const change of changes) {
    const bytes = Buffer.byteLength(JSON.stringify(change)) + 1;
    if (batch.length > 0 && overhead + size + bytes > MAX_PAYLOAD_BYTES) {
      payloads.push(JSON.stringify({ from, changes: batch } satisfies ChangeBatch));
      batch = [];
      size = 0;
    }
    batch.push(change);
    size += bytes;
  }
  if (batch.length) payloads.push(JSON.stringify({ from, changes: batch } satisfies ChangeBatch));
  return payloads;
}

async function flush(): Promise<void> {
  try {
    while (queued.length) {
      const changes = queued;
      queued = [];
      await hub()
        .notify(payloadsOf(changes))
        .catch((err: Error) => logger.warn({ err: err.message, changes: changes.length }, "could not notify other instances"));
    }
  } finally {
    flushing = false;
  }
}
