import type { Tx } from "../db.ts";
import type { Grant } from "../generated/prisma/client.ts";
import { newId } from "../ids.ts";
import type { AuditEventInput } from "../audit/append-event.ts";
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
 * Records a grant for an approved request inside the caller's transaction and
 * returns it with its audit event (for the caller to append with its others).
 * The token is signed from these stored claims whenever the agent reads it.
 */
export async function issueGrant(tx: Tx, o: IssueGrantOptions): Promise<{ grant: Grant; event: AuditEventInput }> {
  const key = await activeSigningKey();
  const issuedAt = new Date(Math.floor(Date.now() / 1000) * 1000);
  const expiresAt = new Date(issuedAt.getTime() + o.ttlSeconds * 1000);
  const id = newId("grt");
  const grant = await tx.grant.create({
    data: { id, requestId: o.requestId, agentId: o.agentId, kid: key.kid, audience: o.audience, approvedBy: o.approvedBy, issuedAt, expiresAt },
  });
  const event: AuditEventInput = {
    type: "grant.issued",
    actor: o.actor,
    requestId: o.requestId,
    agentId: o.agentId,
    data: { grant_id: id, kid: key.kid, expires_at: expiresAt.toISOString(), approved_by: o.approvedBy, audience: o.audience },
  };
  return { grant, event };
}
