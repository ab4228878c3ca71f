import "server-only";
import { sql } from "kysely";
import { appendEvents } from "../audit/append-event.ts";
import { announceOnCommit, db, type Queryable, transact } from "../db.ts";
import { deliveryConfig, type ReminderConfig } from "../delivery/config.ts";

/** A request that waits less than this is over before anyone could act on a reminder: none is sent. */
export const MIN_WAIT_SECONDS = 60;

interface Due {
  id: string;
  agentId: string;
  createdAt: Date;
  expiresAt: Date;
}

/**
 * Marks pending requests that reached `share` of their wait undecided, at most
 * once each (`column` is set), and appends `type` for each, in one
 * transaction. Rows are claimed with SKIP LOCKED, so several instances sweep
 * without blocking each other or a decision.
 */
async function sweep(
  o: { column: "reminded_at" | "escalated_at"; share: number; type: string; data: (row: Due) => Record<string, unknown>; now: Date; batchSize: number },
  on: Queryable,
): Promise<number> {
  return transact(async (trx) => {
    // reminded_at and escalated_at are not in the generated row types (see schema.prisma).
    const column = sql.ref(o.column);
    const now = sql`${o.now}::timestamptz`;
    const { rows } = await sql<Due>`
      UPDATE action_requests r SET ${column} = ${now}
       WHERE r.id IN (
         SELECT id FROM action_requests
          WHERE status = 'pending' AND ${column} IS NULL AND expires_at > ${now}
            AND expires_at - created_at >= ${sql.raw(`interval '${MIN_WAIT_SECONDS} seconds'`)}
            AND created_at + (expires_at - created_at) * ${o.share}::float8 <= ${now}
          ORDER BY expires_at
          LIMIT ${o.batchSize}
          FOR UPDATE SKIP LOCKED)
       RETURNING r.id, r.agent_id, r.created_at, r.expires_at`.execute(trx);
    if (rows.length === 0) return 0;
    await appendEvents(
      trx,
      rows.map((row) => ({ type: o.type, actor: "system", requestId: row.id, agentId: row.agentId, data: o.data(row) })),
    );
    // Wakes the delivery runtimes (and refreshes reviewers' dashboards) when the transaction commits.
    announceOnCommit(trx, ...rows.map((row) => ({ kind: "request" as const, id: row.id, agent_id: row.agentId, status: "pending" })));
    return rows.length;
  }, on);
}

/**
 * Reminders and escalation: a request still undecided at `remindAt` of its
 * wait becomes `request.expiring` (its eligible reviewers who have not voted
 * are emailed again, and webhooks subscribed to it fire); at `escalation.at`
 * it becomes `request.escalated` to the configured group. `now` is the
 * clock: the app passes the time, tests pass any time they like.
 */
export async function sweepReminders(
  o: { now?: Date; config?: ReminderConfig; batchSize?: number; db?: Queryable } = {},
): Promise<{ reminded: number; escalated: number }> {
  const config = o.config ?? deliveryConfig().reminders;
  const now = o.now ?? new Date();
  const batchSize = o.batchSize ?? 500;
  const on = o.db ?? db();
  const remaining = (row: Due) => Math.max(0, Math.round((row.expiresAt.getTime() - now.getTime()) / 1000));
  const reminded = config.remindAt
    ? await sweep(
        {
          column: "reminded_at",
          share: config.remindAt,
          type: "request.expiring",
          now,
          batchSize,
          data: (row) => ({ expires_at: row.expiresAt.toISOString(), remaining_seconds: remaining(row), share: config.remindAt }),
        },
        on,
      )
    : 0;
  const escalation = config.escalation;
  const escalated = escalation
    ? await sweep(
        {
          column: "escalated_at",
          share: escalation.at,
          type: "request.escalated",
          now,
          batchSize,
          data: (row) => ({ group: escalation.group, expires_at: row.expiresAt.toISOString(), remaining_seconds: remaining(row), share: escalation.at }),
        },
        on,
      )
    : 0;
  return { reminded, escalated };
}
