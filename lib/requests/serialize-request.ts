import "server-only";
import type { Row } from "../db.ts";
import { approvesCurrentParams } from "./amend-params.ts";
import { signGrant } from "../grants/grant-token.ts";
import type { RequestObject } from "../schemas/requests.ts";

/**
 * A request as stored, with its votes (oldest first) and its grant, without
 * the reviewer-only columns (`risk`, `condition_errors`) and the reminder
 * bookkeeping: what any read of a request may carry.
 */
export type StoredRequest = Omit<Row<"actionRequests">, "risk" | "conditionErrors" | "shadowMatches" | "remindedAt" | "escalatedAt"> & {
  votes: Row<"votes">[];
  grant: Row<"grants"> | null;
};

export const REQUEST_INCLUDE = { votes: { orderBy: { createdAt: "asc" } }, grant: true } as const;

/**
 * A pending request whose wait has run out is expired, whether or not the
 * sweeper has recorded that yet: expiry never depends on a background job.
 */
export function effectiveStatus(r: Pick<StoredRequest, "status" | "expiresAt">, now = new Date()): RequestObject["status"] {
  return r.status === "pending" && r.expiresAt <= now ? "expired" : r.status;
}

function decisionOf(r: StoredRequest, status: RequestObject["status"]): RequestObject["decision"] {
  if (status === "pending") return null;
  if (r.status === "pending") {
    // Overdue but not yet swept.
    return { status: "expired", by: "system", reason: "no decision before the request expired", at: r.expiresAt.toISOString() };
  }
  return {
    status: status as Exclude<RequestObject["status"], "pending">,
    by: r.decisionBy ?? "system",
    reason: r.decisionReason,
    at: (r.decidedAt ?? r.createdAt).toISOString(),
  };
}

/**
 * The API's request object. `forAgentId` is the caller when it is an agent:
 * only the owning agent ever sees a grant token, and only while the grant is
 * live (unredeemed, unrevoked, unexpired).
 */
export async function toRequestObject(r: StoredRequest, view: { forAgentId?: string; now?: Date } = {}): Promise<RequestObject> {
  const now = view.now ?? new Date();
  const status = effectiveStatus(r, now);
  let grant: RequestObject["grant"] = null;
  if (r.grant) {
    const g = r.grant;
    grant = { id: g.id, expires_at: g.expiresAt.toISOString(), redeemed_at: g.redeemedAt?.toISOString() ?? null };
    const live = !g.redeemedAt && !g.revokedAt && g.expiresAt > now;
    if (live && view.forAgentId === r.agentId) {
      grant.token = await signGrant({
        grantId: g.id,
        agentId: g.agentId,
        requestId: r.id,
        action: r.action,
        resource: r.resource,
        paramsSha256: r.paramsSha256,
        approvedBy: g.approvedBy,
        audience: g.audience,
        issuedAt: g.issuedAt,
        expiresAt: g.expiresAt,
        kid: g.kid,
      });
    }
  }
  return {
    id: r.id,
    agent_id: r.agentId,
    action: r.action,
    resource: r.resource,
    params: r.params as Record<string, unknown>,
    params_sha256: r.paramsSha256,
    original_params: (r.originalParams as Record<string, unknown> | null) ?? null,
    original_params_sha256: r.originalParamsSha256 ?? null,
    amended_by: r.amendedBy ?? null,
    summary: r.summary,
    justification: r.justification,
    context: r.context as Record<string, unknown>,
    status,
    policy: {
      id: r.policyId,
      name: r.policyName,
      version: r.policyVersion,
      effect: r.policyEffect as RequestObject["policy"]["effect"],
      approvals_required: r.approvalsRequired,
    },
    // Approvals of params since amended no longer count (amend-params.ts); the reviewer view lists every vote.
    approvals: r.votes.filter((v) => approvesCurrentParams(v, r)).map((v) => ({ reviewer: v.reviewerEmail, reason: v.reason, at: v.createdAt.toISOString() })),
    decision: decisionOf(r, status),
    created_at: r.createdAt.toISOString(),
    expires_at: r.expiresAt.toISOString(),
    grant,
    outcome: r.outcomeStatus ? { status: r.outcomeStatus, detail: r.outcomeDetail, at: (r.outcomeAt ?? r.createdAt).toISOString() } : null,
  };
}
