/**
 * Domain errors carry a stable code from API.md; the HTTP layer maps codes to
 * statuses and problem+json bodies. Domain code never builds HTTP responses.
 */
export type ErrorCode =
  | "validation_failed"
  | "unauthenticated"
  | "forbidden"
  | "insufficient_scope"
  | "not_found"
  | "method_not_allowed"
  | "conflict"
  | "payload_too_large"
  | "rate_limited"
  | "grant_already_redeemed"
  | "grant_expired"
  | "grant_revoked"
  | "grant_mismatch"
  | "grant_invalid"
  | "agent_suspended"
  | "edit_not_allowed"
  | "edit_changes_policy"
  | "unavailable";

export interface FieldError {
  path: string;
  message: string;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly errors?: FieldError[];
  readonly retryAfterSeconds?: number;

  constructor(code: ErrorCode, message: string, extra: { errors?: FieldError[]; retryAfterSeconds?: number } = {}) {
    super(message);
    this.name = "AppError";
    this.code = code;
    this.errors = extra.errors;
    this.retryAfterSeconds = extra.retryAfterSeconds;
  }
}

export const STATUS_BY_CODE: Record<ErrorCode, number> = {
  validation_failed: 422,
  unauthenticated: 401,
  forbidden: 403,
  insufficient_scope: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  payload_too_large: 413,
  rate_limited: 429,
  grant_already_redeemed: 409,
  grant_expired: 410,
  grant_revoked: 410,
  grant_mismatch: 422,
  grant_invalid: 401,
  agent_suspended: 403,
  edit_not_allowed: 422,
  edit_changes_policy: 422,
  unavailable: 503,
};

export const TITLE_BY_CODE: Record<ErrorCode, string> = {
  validation_failed: "Validation failed",
  unauthenticated: "Unauthenticated",
  forbidden: "Forbidden",
  insufficient_scope: "Insufficient scope",
  not_found: "Not found",
  method_not_allowed: "Method not allowed",
  conflict: "Conflict",
  payload_too_large: "Payload too large",
  rate_limited: "Too many requests",
  grant_already_redeemed: "Grant already redeemed",
  grant_expired: "Grant expired",
  grant_revoked: "Grant revoked",
  grant_mismatch: "Grant does not match",
  grant_invalid: "Grant invalid",
  agent_suspended: "Agent suspended",
  edit_not_allowed: "Edit not allowed",
  edit_changes_policy: "Edit changes the policy",
  unavailable: "Service unavailable",
};
