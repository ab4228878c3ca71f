import "server-only";
import { ZodError } from "zod";
import { isDatabaseUnavailable, isTransient } from "../db-errors.ts";
import { AppError, STATUS_BY_CODE, TITLE_BY_CODE, type ErrorCode, type FieldError } from "../errors.ts";
import { logger } from "../logger.ts";

const PROBLEM_TYPE_BASE = "https://countersign.dev/problems/";

/** The RFC 9457 body for `code` (also what the OpenAPI document shows as examples). */
export function problemBody(code: ErrorCode, detail: string, extra: { errors?: FieldError[]; status?: number } = {}) {
  return {
    type: PROBLEM_TYPE_BASE + code.replace(/_/g, "-"),
    title: TITLE_BY_CODE[code],
    status: extra.status ?? STATUS_BY_CODE[code],
    detail,
    code,
    ...(extra.errors ? { errors: extra.errors } : {}),
  };
}

export function problem(code: ErrorCode, detail: string, extra: { errors?: FieldError[]; retryAfterSeconds?: number; status?: number } = {}): Response {
  const body = problemBody(code, detail, extra);
  const status = body.status;
  const headers: Record<string, string> = { "content-type": "application/problem+json", "cache-control": "no-store" };
  if (extra.retryAfterSeconds) headers["retry-after"] = String(extra.retryAfterSeconds);
  return new Response(JSON.stringify(body), { status, headers });
}

export function zodErrors(err: ZodError, prefix = ""): FieldError[] {
  return err.issues.map((i) => ({
    path: [prefix, ...i.path.map(String)].filter(Boolean).join(".") || "(body)",
    message: i.code === "unrecognized_keys" ? `unknown field(s): ${i.keys.join(", ")}` : i.message,
  }));
}

/** A unique constraint refused an insert (PostgreSQL 23505). */
function isUniqueViolation(err: unknown, depth = 0): boolean {
  const e = err as { code?: string; cause?: unknown };
  if (!e || typeof e !== "object" || depth > 5) return false;
  if (e.code === "23505") return true;
  return e.cause ? isUniqueViolation(e.cause, depth + 1) : false;
}

/** Turns anything thrown by a handler into a problem response; unknown errors are logged, never echoed. */
export function toProblem(err: unknown): Response {
  if (err instanceof AppError) return problem(err.code, err.message, { errors: err.errors, retryAfterSeconds: err.retryAfterSeconds });
  if (err instanceof ZodError) return problem("validation_failed", "the request is not valid", { errors: zodErrors(err) });
  if (isUniqueViolation(err)) {
    // Two identical creates at once both passed their existence check; the database kept one.
    return problem("conflict", "this conflicts with an existing record (possibly one created at the same moment)");
  }
  if (isDatabaseUnavailable(err)) {
    logger.error({ err: (err as Error).message }, "database unavailable");
    return problem("unavailable", "the service is temporarily unavailable; try again shortly", { retryAfterSeconds: 5 });
  }
  if (isTransient(err)) {
    // Deadlock or serialization conflict that persisted through the retries: nothing was kept.
    logger.warn({ err: (err as Error).message }, "transaction aborted by the database");
    return problem("unavailable", "the database is busy with conflicting changes; try again shortly", { retryAfterSeconds: 1 });
  }
  logger.error({ err: err instanceof Error ? { message: err.message, stack: err.stack } : String(err) }, "unhandled error");
  return new Response(
    JSON.stringify({ type: "about:blank", title: "Internal Server Error", status: 500, detail: "an unexpected error occurred", code: "internal" }),
    { status: 500, headers: { "content-type": "application/problem+json" } },
  );
}
