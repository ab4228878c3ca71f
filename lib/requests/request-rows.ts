import "server-only";
import { createHash } from "node:crypto";
import type pg from "pg";
import type { Grant, Vote } from "../generated/prisma/client.ts";
import type { StoredRequest } from "./serialize-request.ts";

/**
 * Raw-SQL reads of a request with its votes and grant, in one round trip,
 * mapped to the same shape Prisma returns, for the hot paths (see lib/db.ts).
 */
export const SELECT_STORED_REQUEST = `
  SELECT r.*,
         COALESCE((SELECT json_agg(v ORDER BY v.created_at) FROM votes v WHERE v.request_id = r.id), '[]') AS votes_json,
         (SELECT row_to_json(g) FROM grants g WHERE g.request_id = r.id) AS grant_json
    FROM action_requests r`;

type Row = Record<string, unknown>;

const date = (v: unknown) => (v == null ? null : new Date(v as string));

export function toVote(v: Row): Vote {
  return {
    id: v.id as string,
    requestId: v.request_id as string,
    userId: v.user_id as string,
    reviewerEmail: v.reviewer_email as string,
    decision: v.decision as Vote["decision"],
    reason: (v.reason as string | null) ?? null,
    createdAt: date(v.created_at)!,
  };
}

export function toGrant(g: Row): Grant {
  return {
    id: g.id as string,
    requestId: g.request_id as string,
    agentId: g.agent_id as string,
    kid: g.kid as string,
    audience: g.audience as string,
    approvedBy: (g.approved_by as string[] | null) ?? [],
    issuedAt: date(g.issued_at)!,
    expiresAt: date(g.expires_at)!,
    redeemedAt: date(g.redeemed_at),
    revokedAt: date(g.revoked_at),
  };
}

/** Maps an `action_requests` row (plus optional `votes_json` / `grant_json`) to a StoredRequest. */
export function toStoredRequest(r: Row, votes?: Vote[], grant?: Grant | null): StoredRequest {
  return {
    id: r.id as string,
    agentId: r.agent_id as string,
    action: r.action as string,
    resource: (r.resource as string | null) ?? null,
    params: r.params as StoredRequest["params"],
    paramsSha256: r.params_sha256 as string,
    summary: r.summary as string,
    justification: (r.justification as string | null) ?? null,
    context: r.context as StoredRequest["context"],
    status: r.status as StoredRequest["status"],
    policyId: r.policy_id as string,
    policyName: r.policy_name as string,
    policyVersion: r.policy_version as number,
    policyEffect: r.policy_effect as string,
    approvalsRequired: r.approvals_required as number,
    reviewerGroups: (r.reviewer_groups as string[] | null) ?? [],
    reasonRequiredToApprove: Boolean(r.reason_required_to_approve),
    ownerMayDecide: Boolean(r.owner_may_decide),
    grantTtlSeconds: r.grant_ttl_seconds as number,
    grantAudience: r.grant_audience as string,
    createdAt: date(r.created_at)!,
    expiresAt: date(r.expires_at)!,
    decidedAt: date(r.decided_at),
    decisionBy: (r.decision_by as string | null) ?? null,
    decisionReason: (r.decision_reason as string | null) ?? null,
    idempotencyKey: (r.idempotency_key as string | null) ?? null,
    bodySha256: r.body_sha256 as string,
    callbackUrl: (r.callback_url as string | null) ?? null,
    outcomeStatus: (r.outcome_status as StoredRequest["outcomeStatus"]) ?? null,
    outcomeDetail: (r.outcome_detail as string | null) ?? null,
    outcomeAt: date(r.outcome_at),
    votes: votes ?? ((r.votes_json as Row[] | undefined) ?? []).map(toVote),
    grant: grant !== undefined ? grant : r.grant_json ? toGrant(r.grant_json as Row) : null,
  };
}

export async function selectStoredRequest(client: pg.Pool | pg.PoolClient, where: string, values: unknown[], lock = ""): Promise<StoredRequest | null> {
  const text = `${SELECT_STORED_REQUEST} WHERE ${where} ${lock}`;
  // Named, so each connection plans it once (`where` is one of a few fixed strings).
  const { rows } = await client.query({ name: `cs_read_${statementKey(where + lock)}`, text, values });
  return rows[0] ? toStoredRequest(rows[0]) : null;
}

function statementKey(s: string): string {
  return createHash("sha1").update(s).digest("hex").slice(0, 16);
}
