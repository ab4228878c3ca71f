import "server-only";
import { AsyncLocalStorage } from "node:async_hooks";

/** Where one API call spent its time, in ms: in database queries, and waiting for a pooled connection. */
export interface CallTiming {
  db: number;
  pool: number;
}

const current = new AsyncLocalStorage<CallTiming>();

/** Runs one call's work, adding the database time of everything it awaits to `timing`. */
export function timingCall<T>(timing: CallTiming, work: () => T): T {
  return current.run(timing, work);
}

/** Adds `ms` of `kind` to the call in progress, if any (lib/db.ts reports each query and each wait for a connection). */
export function addCallTime(kind: keyof CallTiming, ms: number): void {
  const timing = current.getStore();
  if (timing) timing[kind] += ms;
}

/**
 * The `Server-Timing` value of a call (shown by browsers' developer tools,
 * readable by any client): the app's whole time, and of it the time in
 * queries and waiting for a connection, so a slow answer says where it
 * waited. Queries that ran in parallel add up, so `db` may exceed `app`.
 */
export function serverTiming(appMs: number, t: CallTiming): string {
  return `app;dur=${appMs.toFixed(1)}, db;dur=${t.db.toFixed(1)}, pool;dur=${t.pool.toFixed(1)}`;
}
