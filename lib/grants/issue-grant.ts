import "server-only";
import type { AuditEventInput } from "../audit/append-event.ts";
import type { Row } from "../db.ts";
import { newId } from "../ids.ts";
import type { SigningKey } from "./signing-keys.ts";

export interface IssueGrantOptions {
  /**
   * From `activeSigningKey()`, loaded by the caller before it opens its
   * transaction: loading it may take a connection of its own, and a
   * transaction that waits for a second connection can deadlock the pool.
   */
  key: SigningKey;
  requestId: string;
  agentId: string;
  ttlSeconds: number;
  audience: string;
  /** Reviewer emails, or `policy:pol_…` when a rule allowed it. */
  approvedBy: string[];
  actor: string;
}

/**
 * The grant of an approved request and its audit event, for the caller to
 * insert in the statement that approves it. Only the claims are stored: the
 * token is signed from them whenever the owning agent reads it.
 */
export function prepareGrant(o: IssueGrantOptions): { grant: Row<"grants">; event: AuditEventInput } {
  const { key } = o;
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
