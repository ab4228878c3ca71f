import "server-only";
import { appendEventsPrisma } from "../audit/append-event.ts";
import { announceOnCommit, prismaTransact } from "../db.ts";

/**
 * Moves overdue pending requests to `expired` for real (reads already show
 * them expired). Rows are claimed with SKIP LOCKED, so several app instances
 * can sweep at once without blocking each other or a reviewer's decision.
 */
export async function sweepExpired(batchSize = 500): Promise<number> {
  return prismaTransact(async (tx) => {
    const rows = await tx.$queryRaw<{ id: string; agent_id: string; expires_at: Date }[]>`
      UPDATE action_requests r
         SET status = 'expired', decided_at = r.expires_at, decision_by = 'system',
             decision_reason = 'no decision before the request expired'
       WHERE r.id IN (
         SELECT id FROM action_requests
          WHERE status = 'pending' AND expires_at <= now()
          ORDER BY expires_at
          LIMIT ${batchSize}
          FOR UPDATE SKIP LOCKED)
      RETURNING r.id, r.agent_id, r.expires_at`;
    for (const row of rows) announceOnCommit(tx, { kind: "request", id: row.id, agent_id: row.agent_id, status: "expired" });
    await appendEventsPrisma(
      tx,
      rows.map((row) => ({
        type: "request.expired",
        actor: "system",
        requestId: row.id,
        agentId: row.agent_id,
        data: { expired_at: row.expires_at.toISOString() },
      })),
    );
    return rows.length;
  });
}
