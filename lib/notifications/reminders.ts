import "server-only";
import type pg from "pg";
import { pool, transaction, announceOnCommit } from "../db.ts";
import { deliveryConfig, type ReminderConfig } from "../delivery/config.ts";
import { appendEventsPg } from "../audit/append-event.ts";

/** A request that waits less than this is over before anyone could act on a reminder: none is sent. */
export const MIN_WAIT_SECONDS = 60;

interface Due {
  id: string;
  agent_id: string;
  created_at: Date;
  expires_at: Date;
}

/**
 * Marks pending requests that reached `share` of their wait undecided, at most
 * once each (`column` is set), and appends `type` for each, in one
 * transaction. Rows are claimed with SKIP LOCKED, so several instances sweep
 * without blocking each other or a decision.
 */
async function sweep(
  o: { column: "reminded_at" | "escalated_at"; share: number; type: string; data: (row: Due) => Record<string, unknown>; now: Date; batchSize: number },
  on: pg.Pool,
): Promise<number> {
  return transaction(async (client) => {
    const { rows } = await client.query<Due>(
      `UPDATE action_requests r SET ${o.column} = $1
        WHERE r.id IN (
          SELECT id FROM action_requests
           WHERE status = 'pending' AND ${o.column} IS NULL AND expires_at > $1
             AND expires_at - created_at >= interval '${MIN_WAIT_SECONDS} seconds'
             AND created_at + (expires_at - created_at) * $2::float8 <= $1
           ORDER BY expires_at
           LIMIT $3
           FOR UPDATE SKIP LOCKED)
        RETURNING r.id, r.agent_id, r.created_at, r.expires_at`,
      [o.now.toISOString(), o.share, o.batchSize],
    );
    if (rows.length === 0) return 0;
    await appendEventsPg(
      client,
      rows.map((row) => ({ type: o.type, actor: "system", requestId: row.id, agentId: row.agent_id, data: o.data(row) })),
    );
    // Wakes the delivery runtimes (and refreshes reviewers' dashboards) when the transaction commits.
    announceOnCommit(client, ...rows.map((row) => ({ kind: "request" as const, id: row.id, agent_id: row.agent_id, status: "pending" })));
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
  o: { now?: Date; config?: ReminderConfig; batchSize?: number; pool?: pg.Pool } = {},
): Promise<{ reminded: number; escalated: number }> {
  const config = o.config ?? deliveryConfig().reminders;
  const now = o.now ?? new Date();
  const batchSize = o.batchSize ?? 500;
  const on = o.pool ?? pool();
  const remaining = (row: Due) => Math.max(0, Math.round((row.expires_at.getTime() - now.getTime()) / 1000));
  const reminded = config.remindAt
    ? await sweep(
        {
          column: "reminded_at",
          share: config.remindAt,
          type: "request.expiring",
          now,
          batchSize,
          data: (row) => ({ expires_at: row.expires_at.toISOString(), remaining_seconds: remaining(row), share: config.remindAt }),
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
          data: (row) => ({ group: escalation.group, expires_at: row.expires_at.toISOString(), remaining_seconds: remaining(row), share: escalation.at }),
        },
        on,
      )
    : 0;
  return { reminded, escalated };
}
