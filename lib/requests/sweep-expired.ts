import "server-only";
import { sql } from "kysely";
import { appendEvents } from "../audit/append-event.ts";
import { announceOnCommit, transact } from "../db.ts";

/**
 * Moves overdue pending requests to `expired` for real (reads already show
 * them expired). Rows are claimed with SKIP LOCKED, so several app instances
 * can sweep at once without blocking each other or a reviewer's decision.
 */
export async function sweepExpired(batchSize = 500): Promise<number> {
  return transact(async (trx) => {
    const overdue = trx
      .selectFrom("actionRequests")
      .select("id")
      .where("status", "=", "pending")
      .where("expiresAt", "<=", sql<Date>`now()`)
      .orderBy("expiresAt")
      .limit(batchSize)
      .forUpdate()
      .skipLocked();
    const rows = await trx
      .updateTable("actionRequests")
      .set((eb) => ({
        status: "expired",
        decidedAt: eb.ref("expiresAt"),
        decisionBy: "system",
        decisionReason: "no decision before the request expired",
      }))
      .where("id", "in", overdue)
      .returning(["id", "agentId", "expiresAt"])
      .execute();
    await appendEvents(
      trx,
      rows.map((row) => ({
        type: "request.expired",
        actor: "system",
        requestId: row.id,
        agentId: row.agentId,
        data: { expired_at: row.expiresAt.toISOString() },
      })),
    );
    announceOnCommit(trx, ...rows.map((row) => ({ kind: "request" as const, id: row.id, agent_id: row.agentId, status: "expired" })));
    return rows.length;
  });
}
