import "server-only";
import { appendEvent } from "../audit/append-event.ts";
import { announceOnCommit, prismaTransact } from "../db.ts";
import { AppError } from "../errors.ts";
import { getAgentRequest } from "./get-request.ts";
import { REQUEST_INCLUDE, type StoredRequest } from "./serialize-request.ts";

export interface ReportOutcomeOptions {
  agentId: string;
  requestId: string;
  status: "succeeded" | "failed";
  detail?: string;
}

/** After executing with a redeemed grant, the agent says what happened. Once only. */
export async function reportOutcome(o: ReportOutcomeOptions): Promise<StoredRequest> {
  const r = await getAgentRequest(o.agentId, o.requestId);
  if (!r.grant?.redeemedAt) throw new AppError("conflict", "an outcome can be reported only after the grant was redeemed");
  return prismaTransact(async (tx) => {
    const now = new Date();
    const { count } = await tx.actionRequest.updateMany({
      where: { id: o.requestId, agentId: o.agentId, outcomeStatus: null },
      data: { outcomeStatus: o.status, outcomeDetail: o.detail ?? null, outcomeAt: now },
    });
    if (count === 0) throw new AppError("conflict", "an outcome was already reported for this request");
    announceOnCommit(tx, { kind: "request", id: o.requestId, agent_id: o.agentId, status: r.status });
    await appendEvent(tx, {
      type: "request.outcome_reported",
      actor: `agent:${o.agentId}`,
      requestId: o.requestId,
      agentId: o.agentId,
      data: { status: o.status, detail: o.detail ?? null },
    });
    return tx.actionRequest.findUniqueOrThrow({ where: { id: o.requestId }, include: REQUEST_INCLUDE });
  });
}
