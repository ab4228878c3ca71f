import "server-only";
import { appendEvents } from "../audit/append-event.ts";
import { announceOnCommit, transact } from "../db.ts";
import { AppError } from "../errors.ts";
import { getAgentRequest } from "./get-request.ts";
import { withVotesAndGrant } from "./request-rows.ts";
import type { StoredRequest } from "./serialize-request.ts";

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
  return transact(async (trx) => {
    const reported = await trx
      .updateTable("actionRequests")
      .set({ outcomeStatus: o.status, outcomeDetail: o.detail ?? null, outcomeAt: new Date() })
      .where("id", "=", o.requestId)
      .where("agentId", "=", o.agentId)
      .where("outcomeStatus", "is", null)
      .returningAll()
      .executeTakeFirst();
    if (!reported) throw new AppError("conflict", "an outcome was already reported for this request");
    await appendEvents(trx, [
      {
        type: "request.outcome_reported",
        actor: `agent:${o.agentId}`,
        requestId: o.requestId,
        agentId: o.agentId,
        data: { status: o.status, detail: o.detail ?? null },
      },
    ]);
    announceOnCommit(trx, { kind: "request", id: o.requestId, agent_id: o.agentId, status: r.status });
    return withVotesAndGrant(trx, reported);
  });
}
