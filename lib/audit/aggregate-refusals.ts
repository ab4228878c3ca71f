import "server-only";
import { pool, transaction } from "../db.ts";
import { env } from "../env.ts";
import { Statement } from "../sql.ts";
import { appendEventsPg, withAuditEvents, type AuditEventInput } from "./append-event.ts";

export interface RefusalInput {
  /** What makes two refusals the same one repeated (e.g. grant, reason and source address). */
  key: string;
  event: AuditEventInput;
}

/**
 * Records a refusal in the audit log without letting a flood of repeats flood
 * the log. The first refusal with its key in a window is appended at once, in
 * the same statement that opens the window; a repeat within the window only
 * bumps the window's counter. When the window closes, `flushRefusals` appends
 * one summary event (the same type and data, plus `repeated`, `first_at`,
 * `last_at`), so every refusal is accounted for in the chain. The counter is
 * in the database: nothing is lost on a crash, and instances share it.
 */
export async function recordRefusal({ key, event }: RefusalInput): Promise<void> {
  const s = new Statement();
  s.with(
    "refusal",
    `INSERT INTO audit_refusal_counts (key, type, actor, request_id, agent_id, data, first_at, last_at, window_ends_at)
     VALUES (${s.param(key)}, ${s.param(event.type)}, ${s.param(event.actor)}, ${s.param(event.requestId ?? null)},
             ${s.param(event.agentId ?? null)}, ${s.param(JSON.stringify(event.data ?? {}))}::jsonb, now(), now(),
             now() + make_interval(secs => ${s.param(env().COUNTERSIGN_AUDIT_REFUSAL_WINDOW_SECONDS)}::int))
     ON CONFLICT (key) DO UPDATE SET repeated = audit_refusal_counts.repeated + 1, last_at = now()
     RETURNING (xmax = 0) AS opened`,
  );
  withAuditEvents(s, [event], "(SELECT opened FROM refusal)");
  await pool().query(s.build("SELECT 1"));
}

/**
 * Closes the refusal windows that have ended: each with repeats becomes one
 * summary audit event, in the transaction that removes its counter. Rows are
 * claimed with SKIP LOCKED, so instances can flush at once. Returns the
 * number of summary events written.
 */
export async function flushRefusals(batchSize = 500): Promise<number> {
  return transaction(async (client) => {
    const { rows } = await client.query<{
      type: string;
      actor: string;
      request_id: string | null;
      agent_id: string | null;
      data: Record<string, unknown>;
      repeated: number;
      first_at: Date;
      last_at: Date;
    }>(
      `DELETE FROM audit_refusal_counts
        WHERE key IN (SELECT key FROM audit_refusal_counts WHERE window_ends_at <= now()
                       ORDER BY window_ends_at LIMIT $1 FOR UPDATE SKIP LOCKED)
       RETURNING type, actor, request_id, agent_id, data, repeated, first_at, last_at`,
      [batchSize],
    );
    const summaries = rows
      .filter((r) => r.repeated > 0)
      .sort((a, b) => a.first_at.getTime() - b.first_at.getTime())
      .map((r) => ({
        type: r.type,
        actor: r.actor,
        requestId: r.request_id,
        agentId: r.agent_id,
        data: { ...r.data, repeated: r.repeated, first_at: r.first_at.toISOString(), last_at: r.last_at.toISOString() },
      }));
    await appendEventsPg(client, summaries);
    return summaries.length;
  });
}
