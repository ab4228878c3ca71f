import "server-only";
import { appendEvent } from "../audit/append-event.ts";
import { announceOnCommit, prismaTransact } from "../db.ts";
import { AppError } from "../errors.ts";
import { getAgentRequest } from "./get-request.ts";
import { effectiveStatus, REQUEST_INCLUDE, type StoredRequest } from "./serialize-request.ts";

/** The owning agent withdraws a pending request. Terminal requests never change: 409. */
export async function cancelRequest(agentId: string, requestId: string): Promise<StoredRequest> {
  const existing = await getAgentRequest(agentId, requestId);
  return prismaTransact(async (tx) => {
    const now = new Date();
    const { count } = await tx.actionRequest.updateMany({
      where: { id: requestId, agentId, status: "pending", expiresAt: { gt: now } },
      data: { status: "cancelled", decidedAt: now, decisionBy: "agent", decisionReason: "cancelled by the agent" },
    });
    if (count === 0) {
      throw new AppError("conflict", `the request is already ${effectiveStatus(existing, now)} and cannot be cancelled`);
    }
    announceOnCommit(tx, { kind: "request", id: requestId, agent_id: agentId, status: "cancelled" });
    await appendEvent(tx, { type: "request.cancelled", actor: `agent:${agentId}`, requestId, agentId });
    return tx.actionRequest.findUniqueOrThrow({ where: { id: requestId }, include: REQUEST_INCLUDE });
  });
}
