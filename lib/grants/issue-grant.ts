import "server-only";
import type { AuditEventInput } from "../audit/append-event.ts";
import type { Grant } from "../generated/prisma/client.ts";
import { newId } from "../ids.ts";
import { insertJsonRow, type Statement } from "../sql.ts";
import { activeSigningKey } from "./signing-keys.ts";

export interface IssueGrantOptions {
  requestId: string;
  agentId: string;
  ttlSeconds: number;
  audience: string;
  /** Reviewer emails, or `policy:pol_…` when a rule allowed it. */
  approvedBy: string[];
  actor: string;
}

/**
 * Adds a grant for an approved request to the statement that approves it, and
 * returns the grant with its audit event (for the caller to append with its
 * others). Only the claims are stored: the token is signed from them whenever
 * the owning agent reads it.
 */
export async function issueGrant(statement: Statement, o: IssueGrantOptions, guard?: string): Promise<{ grant: Grant; event: AuditEventInput }> {
  const key = await activeSigningKey();
  const issuedAt = new Date(Math.floor(Date.now() / 1000) * 1000);
  const grant: Grant = {
    id: newId("grt"),
    requestId: o.requestId,
    agentId: o.agentId,
    kid: key.kid,
    audience: o.audience,
    approvedBy: o.approvedBy,
    issuedAt,
    expiresAt: new Date(issuedAt.getTime() + o.ttlSeconds * 1000),
    redeemedAt: null,
    revokedAt: null,
  };
  const row = {
    id: grant.id,
    request_id: grant.requestId,
    agent_id: grant.agentId,
    kid: grant.kid,
    audience: grant.audience,
    approved_by: grant.approvedBy,
    issued_at: grant.issuedAt.toISOString(),
    expires_at: grant.expiresAt.toISOString(),
  };
  statement.with("grant_ins", insertJsonRow(statement, "grants", row, { where: guard }));
  const event: AuditEventInput = {
    type: "grant.issued",
    actor: o.actor,
    requestId: o.requestId,
    agentId: o.agentId,
    data: { grant_id: grant.id, kid: key.kid, expires_at: grant.expiresAt.toISOString(), approved_by: o.approvedBy, audience: o.audience },
  };
  return { grant, event };
}
