import "server-only";
import type { AuditEventInput } from "../audit/append-event.ts";
import type { Queryable, Row } from "../db.ts";
import { newId } from "../ids.ts";
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
 * Issues the grant of an approved request, in the transaction that approves
 * it, and returns it with its audit event (for the caller to append with its
 * others). Only the claims are stored: the token is signed from them whenever
 * the owning agent reads it.
 */
export async function issueGrant(trx: Queryable, o: IssueGrantOptions): Promise<{ grant: Row<"grants">; event: AuditEventInput }> {
  const { grant, event } = await prepareGrant(o);
  return { grant: await trx.insertInto("grants").values(grant).returningAll().executeTakeFirstOrThrow(), event };
}

/** The grant row and its audit event, for a caller that inserts them itself (in one statement with the approval). */
export async function prepareGrant(o: IssueGrantOptions): Promise<{ grant: Row<"grants">; event: AuditEventInput }> {
  const key = await activeSigningKey();
  const issuedAt = new Date(Math.floor(Date.now() / 1000) * 1000);
  const grant: Row<"grants"> = {
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
  const event: AuditEventInput = {
    type: "grant.issued",
    actor: o.actor,
    requestId: o.requestId,
    agentId: o.agentId,
    data: { grant_id: grant.id, kid: key.kid, expires_at: grant.expiresAt.toISOString(), approved_by: o.approvedBy, audience: o.audience },
  };
  return { grant, event };
}
