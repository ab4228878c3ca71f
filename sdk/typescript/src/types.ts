/*
 * The wire types of the Countersign HTTP API, version 1, written by hand from
 * the contract (snake_case, as on the wire). The SDK adds nothing to them and
 * checks nothing the server checks: the server is the authority.
 */

export type RequestStatus = "pending" | "approved" | "denied" | "expired" | "cancelled";

/** Who or what asked, for whom, and in which environment. Every field is optional. */
export interface RequestContext {
  task_id?: string;
  on_behalf_of?: string;
  /**
   * The end user's OpenID Connect ID token from the issuer the gateway trusts
   * (at most 8 KiB). The gateway verifies it and never stores it: the request
   * then carries `on_behalf_of_verified` and, when verified, `on_behalf_of_subject`.
   */
  on_behalf_of_token?: string;
  delegation_chain?: string[];
  /** In [0, 1]. */
  confidence?: number;
  environment?: Record<string, string | number | boolean | null>;
  labels?: Record<string, string>;
}

/** What the gateway stored in place of `on_behalf_of_token`, when one was sent. */
export interface OnBehalfOfResult {
  on_behalf_of_verified?: boolean;
  /** The verified person, when `on_behalf_of_verified` is true. */
  on_behalf_of_subject?: { email: string; sub: string; iss: string };
  /** Why the token did not verify, when `on_behalf_of_verified` is false. */
  on_behalf_of_unverified_reason?: string;
}

/** What an agent asks to do: the body of `POST /api/v1/requests` (the idempotency key travels as a header). */
export interface ApprovalInput {
  /** 1–128 chars, `^[a-z0-9][a-z0-9_.:-]*$`, e.g. `payments.refund`. */
  action: string;
  /** One line a reviewer reads first (1–500 chars). */
  summary: string;
  resource?: string;
  /** The exact parameters the action will run with; the grant is bound to their hash. */
  params?: Record<string, unknown>;
  justification?: string;
  context?: RequestContext;
  /** Seconds to wait for a decision, 1 to the matching rule's maximum. */
  expires_in?: number;
  callback_url?: string;
}

export interface PolicyRef {
  id: string;
  name: string;
  version: number;
  effect: "allow" | "deny" | "require_approval";
  approvals_required: number;
}

export interface Approval {
  reviewer: string;
  reason: string | null;
  at: string;
}

export interface Decision {
  status: Exclude<RequestStatus, "pending">;
  /** `user:usr_…`, `policy:pol_…`, `system` or `agent`. */
  by: string;
  reason: string | null;
  at: string;
}

export interface GrantRef {
  id: string;
  /** Present only to the owning agent, while the grant is unredeemed and unexpired. */
  token?: string;
  expires_at: string;
  redeemed_at: string | null;
}

export interface Outcome {
  status: "succeeded" | "failed";
  detail: string | null;
  at: string;
}

/** The request object of the API. */
export interface ApprovalRequest {
  id: string;
  agent_id: string;
  action: string;
  resource: string | null;
  params: Record<string, unknown>;
  /** Hex SHA-256 of the RFC 8785 canonical JSON of `params`. */
  params_sha256: string;
  /**
   * What the agent asked for, when a reviewer amended the params before
   * approving (`params` then holds the amended ones: what the grant binds and
   * the executor must present); null when unamended. API 1.1: absent from
   * older gateways.
   */
  original_params?: Record<string, unknown> | null;
  original_params_sha256?: string | null;
  /** The email of the reviewer who amended the params; null when unamended. */
  amended_by?: string | null;
  summary: string;
  justification: string | null;
  context: Omit<RequestContext, "on_behalf_of_token"> & OnBehalfOfResult & Record<string, unknown>;
  status: RequestStatus;
  policy: PolicyRef;
  approvals: Approval[];
  decision: Decision | null;
  created_at: string;
  expires_at: string;
  grant: GrantRef | null;
  outcome: Outcome | null;
}

export interface RequestList {
  data: ApprovalRequest[];
  next_cursor: string | null;
}

/** The answer of `POST /api/v1/grants/redeem`: the params are the approved ones. */
export interface Redemption {
  grant_id: string;
  request_id: string;
  agent_id: string;
  action: string;
  resource: string | null;
  params: Record<string, unknown>;
  redeemed_at: string;
}

/** What a redemption must match; omitted fields are not compared. */
export interface GrantExpectation {
  action?: string;
  params?: Record<string, unknown>;
}

export interface OutcomeReport {
  status: "succeeded" | "failed";
  /** At most 4000 characters. */
  detail?: string;
}

/** An RFC 9457 problem, as the gateway sends it. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  /** Stable, machine-readable: `validation_failed`, `grant_already_redeemed`, … */
  code: string;
  errors?: { path: string; message: string }[];
  [extension: string]: unknown;
}

/** The claims of a grant token (an EdDSA-signed JWT). */
export interface GrantClaims {
  /** The gateway's public URL. */
  iss: string;
  /** The agent id. */
  sub: string;
  aud: string | string[];
  /** The grant id. */
  jti: string;
  iat: number;
  nbf: number;
  exp: number;
  request_id: string;
  action: string;
  resource: string | null;
  params_sha256: string;
  /** Reviewer emails, or `policy:pol_…` when a rule allowed the action. */
  approved_by: string[];
}

/** The grant in an approved result. */
export interface ApprovalGrant {
  id: string;
  /**
   * The capability to redeem, or null when the gateway no longer hands it
   * out: it was redeemed already (for instance a replayed idempotency key
   * after the work was done), or it expired or was revoked before this read.
   * The request is approved all the same; only a live token can be redeemed.
   */
  token: string | null;
  expires_at: string;
  redeemed_at: string | null;
}

export type ApprovalResult =
  | {
      status: "approved";
      request: ApprovalRequest;
      grant: ApprovalGrant;
      /** The approved params: what the grant binds, and what the action must run with. */
      params: Record<string, unknown>;
      /** A reviewer changed the params before approving: `params` differ from what was asked (`original_params`). */
      amended: boolean;
      /** What the agent asked for when amended; null otherwise. */
      original_params: Record<string, unknown> | null;
    }
  | { status: "denied"; request: ApprovalRequest; reason: string | null }
  | { status: "expired"; request: ApprovalRequest }
  | { status: "cancelled"; request: ApprovalRequest }
  /** The caller's `timeoutMs` ran out; the request still lives: resume with `waitForDecision(request.id)`. */
  | { status: "pending"; request: ApprovalRequest };
