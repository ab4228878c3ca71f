// How the database refused a call: not reachable now (answer 503 and let the
// caller come back), or a transient conflict (run the transaction again).
// No imports: the HTTP layer, the data layer and waiters all classify errors here.

/** Connection-level failures (server down, restarting, out of connections) as pg and PostgreSQL (SQLSTATE) report them. */
const UNAVAILABLE_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "57P01", "57P02", "57P03", "53300", "08000", "08001", "08003", "08006"]);
const UNAVAILABLE_MESSAGE =
  /ECONNREFUSED|Connection terminated|timeout exceeded when trying to connect|terminating connection|the database system is (starting up|shutting down|in recovery mode)|too many clients|Client has encountered a connection error/i;

/** True when `err` says the database cannot be reached right now (the call may be retried later), not that the call was wrong. */
export function isDatabaseUnavailable(err: unknown, depth = 0): boolean {
  const e = err as { code?: string; message?: string; cause?: unknown; errors?: unknown[] };
  if (!e || typeof e !== "object" || depth > 5) return false;
  if (UNAVAILABLE_CODES.has(e.code ?? "") || UNAVAILABLE_MESSAGE.test(e.message ?? "")) return true;
  // An AggregateError (both IPv4 and IPv6 refused) carries its causes in `errors`.
  if (Array.isArray(e.errors) && e.errors.some((x) => isDatabaseUnavailable(x, depth + 1))) return true;
  return e.cause ? isDatabaseUnavailable(e.cause, depth + 1) : false;
}

/**
 * PostgreSQL gave up on the transaction to keep the others consistent
 * (serialization failure, deadlock) or could not take a lock at once: nothing
 * of it was kept, and the same work may simply run again.
 */
export function isTransient(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code;
  return code === "40001" || code === "40P01" || code === "55P03";
}
