import "server-only";
import { appendEvents, type AuditEventInput } from "../audit/append-event.ts";
import { announceOnCommit, transact, type Trx } from "../db.ts";
import { AppError } from "../errors.ts";
import { lockAgent, type AgentRef } from "./find-agent.ts";

export type StopAgentOptions = AgentRef & {
  /** Why, for the audit log and the cancelled requests' decision reason. */
  reason?: string | null;
  /** Who did it: `user:usr_…`, `cli`, or `system` (automatic containment). */
  actor: string;
  /** Set by automatic containment: the rule that tripped and what it saw, recorded as the event's `containment`. */
  containment?: Record<string, unknown>;
};

export interface StopAgentResult {
  agentId: string;
  name: string;
  status: "suspended" | "retired";
  /** Ids of the pending requests that were cancelled. */
  cancelledRequests: string[];
  /** How many unredeemed, unexpired grants were revoked. */
  revokedGrants: number;
}

/**
 * Takes an agent out of service (suspend: the kill switch; retire: for good).
 * In one transaction: the new status (its keys are refused from the next
 * call: 403 when suspended, 401 when retired), every pending request
 * cancelled by the system, every grant it could still redeem revoked, a
 * notification per cancelled request so waiting agents and the live queue
 * hear it, and the audit events last.
 */
export async function stopAgent(o: StopAgentOptions & { to: "suspended" | "retired" }): Promise<StopAgentResult> {
  const reason = o.reason?.trim() || null;
  return transact(async (trx) => {
    const agent = await lockAgent(trx, o);
    if (agent.status === "retired") throw new AppError("conflict", `agent ${agent.name} is retired`);
    if (agent.status === o.to) throw new AppError("conflict", `agent ${agent.name} is already ${o.to}`);
    await trx.updateTable("agents").set({ status: o.to }).where("id", "=", agent.id).execute();
    const { cancelled, revokedGrants } = await stopAgentWork(
      trx,
      agent.id,
      `agent ${o.to === "suspended" ? "suspended" : "retired"}${reason ? `: ${reason}` : ""}`,
    );

    const events: AuditEventInput[] = [
      {
        type: o.to === "suspended" ? "agent.suspended" : "agent.retired",
        actor: o.actor,
        agentId: agent.id,
        data: {
          name: agent.name,
          reason,
          before: { status: agent.status },
          after: { status: o.to },
          cancelled_requests: cancelled.length,
          revoked_grants: revokedGrants,
          ...(o.containment ? { containment: o.containment } : {}),
        },
      },
      ...cancelled.map((requestId) => ({
        type: "request.cancelled",
        actor: "system",
        requestId,
        agentId: agent.id,
        data: { reason: `agent ${o.to}` },
      })),
    ];
    await appendEvents(trx, events);
    return { agentId: agent.id, name: agent.name, status: o.to, cancelledRequests: cancelled, revokedGrants };
  });
}

/** Cancels the agent's pending requests and revokes its live grants, inside the caller's transaction. */
async function stopAgentWork(trx: Trx, agentId: string, decisionReason: string): Promise<{ cancelled: string[]; revokedGrants: number }> {
  const now = new Date();
  // Requests first: a decision racing this either committed already (its grant
  // is then visible to the revocation below, which runs on a later snapshot)
  // or waits on the row lock and then finds the request no longer pending.
  const rows = await trx
    .updateTable("actionRequests")
    .set({ status: "cancelled", decidedAt: now, decisionBy: "system", decisionReason })
    .where("agentId", "=", agentId)
    .where("status", "=", "pending")
    .where("expiresAt", ">", now)
    .returning("id")
    .execute();
  const grants = await trx
    .updateTable("grants")
    .set({ revokedAt: now })
    .where("agentId", "=", agentId)
    .where("redeemedAt", "is", null)
    .where("revokedAt", "is", null)
    .where("expiresAt", ">", now)
    .executeTakeFirst();
  const cancelled = rows.map((r) => r.id).sort();
  for (const id of cancelled) announceOnCommit(trx, { kind: "request", id, agent_id: agentId, status: "cancelled" });
  return { cancelled, revokedGrants: Number(grants.numUpdatedRows) };
}
