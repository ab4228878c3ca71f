import "server-only";
import { appendEvents } from "../audit/append-event.ts";
import { announceOnCommit, transact } from "../db.ts";
import { AppError } from "../errors.ts";
import { getAgentRequest } from "./get-request.ts";
import { withVotesAndGrant } from "./request-rows.ts";
import { effectiveStatus, type StoredRequest } from "./serialize-request.ts";

/** The owning agent withdraws a pending request. Terminal requests never change: 409. */
export async function cancelRequest(agentId: string, requestId: string): Promise<StoredRequest> {
  const existing = await getAgentRequest(agentId, requestId);
  return transact(async (trx) => {
    const now = new Date();
    const cancelled = await trx
      .updateTable("actionRequests")
      .set({ status: "cancelled", decidedAt: now, decisionBy: "agent", decisionReason: "cancelled by the agent" })
      .where("id", "=", requestId)
      .where("agentId", "=", agentId)
      .where("status", "=", "pending")
      .where("expiresAt", ">", now)
      .returningAll()
      .executeTakeFirst();
    if (!cancelled) throw new AppError("conflict", `the request is already ${effectiveStatus(existing, now)} and cannot be cancelled`);
    await appendEvents(trx, [{ type: "request.cancelled", actor: `agent:${agentId}`, requestId, agentId }]);
    announceOnCommit(trx, { kind: "request", id: requestId, agent_id: agentId, status: "cancelled" });
    return withVotesAndGrant(trx, cancelled);
  });
}
