import type { ApprovalRequest, Problem } from "./types.js";

/** The gateway refused a call (4xx, or 5xx after retries). `code` is the problem's stable code. */
export class CountersignError extends Error {
  readonly status: number;
  readonly code: string;
  readonly problem: Problem;

  constructor(problem: Problem, options?: { cause?: unknown }) {
    super(describeProblem(problem), options);
    this.name = "CountersignError";
    this.status = problem.status;
    this.code = problem.code;
    this.problem = problem;
  }

  /** Field errors of a `validation_failed` problem. */
  get errors(): { path: string; message: string }[] {
    return this.problem.errors ?? [];
  }
}

function describeProblem(p: Problem): string {
  const fields = p.errors?.length ? ` (${p.errors.map((e) => `${e.path}: ${e.message}`).join("; ")})` : "";
  return `${p.status} ${p.code}: ${p.detail}${fields}`;
}

/** The gateway could not be reached, or did not answer in time, after every retry. The last failure is `cause`. */
export class CountersignNetworkError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "CountersignNetworkError";
  }
}

/** Thrown by `guard` when a reviewer or a rule denied the action. */
export class ApprovalDeniedError extends Error {
  readonly request: ApprovalRequest;
  readonly reason: string | null;

  constructor(request: ApprovalRequest, reason: string | null) {
    super(`${request.action} was denied${reason ? `: ${reason}` : ""} (${request.id})`);
    this.name = "ApprovalDeniedError";
    this.request = request;
    this.reason = reason;
  }
}

/**
 * Thrown by `guard` when a reviewer amended the params before approving and
 * the guard was not told how to run with the amended params (the
 * `withApprovedParams` option): the function is not run with params nobody
 * approved. `params` are the approved ones; the grant is left unredeemed.
 */
export class ApprovalAmendedError extends Error {
  readonly request: ApprovalRequest;
  readonly params: Record<string, unknown>;

  constructor(request: ApprovalRequest) {
    super(
      `${request.action} was approved with amended params by ${request.amended_by ?? "a reviewer"}; pass withApprovedParams to guard to run with them (${request.id})`,
    );
    this.name = "ApprovalAmendedError";
    this.request = request;
    this.params = request.params;
  }
}

/** Thrown by `guard` when no approval came: the request expired, was cancelled, or the caller's timeout ran out (`pending`). */
export class ApprovalNotGrantedError extends Error {
  readonly request: ApprovalRequest;
  readonly status: "expired" | "cancelled" | "pending";

  constructor(request: ApprovalRequest, status: "expired" | "cancelled" | "pending") {
    const why = status === "pending" ? "no decision came before the timeout" : `the request was ${status}`;
    super(`${request.action} was not approved: ${why} (${request.id})`);
    this.name = "ApprovalNotGrantedError";
    this.request = request;
    this.status = status;
  }
}
