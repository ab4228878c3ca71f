import "server-only";
import { sql } from "kysely";
import { transact } from "../db.ts";
import { env } from "../env.ts";
import { appendEvents, type AuditEventInput } from "./append-event.ts";

export interface RefusalInput {
  /** What makes two refusals the same one repeated (e.g. grant, reason and source address). */
  key: string;
  event: AuditEventInput;
}

/**
 * Records a refusal in the audit log without letting a flood of repeats flood
 * the log. The first refusal with its key in a window is appended at once, in
 * the same transaction that opens the window; a repeat within the window only
 * bumps the window's counter. When the window closes, `flushRefusals` appends
 * one summary event (the same type and data, plus `repeated`, `first_at`,
 * `last_at`), so every refusal is accounted for in the chain. The counter is
 * in the database: nothing is lost on a crash, and instances share it.
 */
export async function recordRefusal({ key, event }: RefusalInput): Promise<void> {
  const windowSeconds = env().COUNTERSIGN_AUDIT_REFUSAL_WINDOW_SECONDS;
  await transact(async (trx) => {
    const { opened } = await trx
      .insertInto("auditRefusalCounts")
      .values({
        key,
        type: event.type,
        actor: event.actor,
        requestId: event.requestId ?? null,
        agentId: event.agentId ?? null,
        data: JSON.stringify(event.data ?? {}),
        firstAt: sql`now()`,
        lastAt: sql`now()`,
        windowEndsAt: sql`now() + make_interval(secs => ${windowSeconds}::int)`,
      })
      .onConflict((oc) => oc.column("key").doUpdateSet({ repeated: sql`audit_refusal_counts.repeated + 1`, lastAt: sql`now()` }))
      .returning(sql<boolean>`xmax = 0`.as("opened"))
      .executeTakeFirstOrThrow();
    if (opened) await appendEvents(trx, [event]);
  });
}

/**
 * Closes the refusal windows that have ended: each with repeats becomes one
 * summary audit event, in the transaction that removes its counter. Rows are
 * claimed with SKIP LOCKED, so instances can flush at once. Returns the
 * number of summary events written.
 */
export async function flushRefusals(batchSize = 500): Promise<number> {
  return transact(async (trx) => {
    const due = trx
      .selectFrom("auditRefusalCounts")
      .select("key")
      .where("windowEndsAt", "<=", sql<Date>`now()`)
      .orderBy("windowEndsAt")
      .limit(batchSize)
      .forUpdate()
      .skipLocked();
    const rows = await trx
      .deleteFrom("auditRefusalCounts")
      .where("key", "in", due)
      .returning(["type", "actor", "requestId", "agentId", "data", "repeated", "firstAt", "lastAt"])
      .execute();
    const summaries = rows
      .filter((r) => r.repeated > 0)
      .sort((a, b) => a.firstAt.getTime() - b.firstAt.getTime())
      .map((r) => ({
        type: r.type,
        actor: r.actor,
        requestId: r.requestId,
        agentId: r.agentId,
        data: { ...(r.data as Record<string, unknown>), repeated: r.repeated, first_at: r.firstAt.toISOString(), last_at: r.lastAt.toISOString() },
      }));
    await appendEvents(trx, summaries);
    return summaries.length;
  });
}
