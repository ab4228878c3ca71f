import "server-only";
import { randomBytes } from "node:crypto";
import { sql } from "kysely";
import { db, type Queryable, type Trx, transact } from "../db.ts";
import { AUDIT_TO_WEBHOOK, buildPayload, CALLBACK_AUDIT_TYPES, type AuditEventRow } from "./events.ts";
import { LEASE_MS, type Claimed } from "./worker.ts";

export const WEBHOOK_CURSOR = "webhooks";

/** Creates a cursor at the current end of the audit log if it does not exist yet (a new sink starts from now). */
export async function ensureCursor(id: string, q: Queryable = db()): Promise<void> {
  await q
    .insertInto("deliveryCursors")
    .columns(["id", "position"])
    .expression((eb) =>
      eb
        .selectFrom("auditHead")
        .select([eb.val(id).as("id"), "seq"])
        .where("id", "=", 1),
    )
    .onConflict((oc) => oc.column("id").doNothing())
    .execute();
}

/**
 * Locks the cursor `id` if no other instance holds it. Returns its position,
 * or null when another instance is advancing it right now (it will deliver
 * these events; this one skips instead of waiting).
 */
export async function lockCursor(trx: Trx, id: string, now?: Date): Promise<{ position: string } | null> {
  const cursor = await trx
    .selectFrom("deliveryCursors")
    .select("position")
    .where("id", "=", id)
    .where("nextAttemptAt", "<=", now ?? new Date())
    .forUpdate()
    .skipLocked()
    .executeTakeFirst();
  return cursor ?? null;
}

/** Audit events after `position`, oldest first, with the request and agent they concern. */
export async function eventsAfter(trx: Trx, position: string, limit: number): Promise<AuditEventRow[]> {
  return (
    trx
      .selectFrom("auditEvents as e")
      .leftJoin("actionRequests as r", "r.id", "e.requestId")
      .leftJoin("agents as a", "a.id", "e.agentId")
      .select([
        "e.seq",
        "e.type",
        "e.actor",
        "e.requestId",
        "e.agentId",
        "e.data",
        "e.occurredAt",
        "r.action",
        "r.resource",
        "r.summary",
        "r.justification",
        "r.params",
        "r.context",
        "r.status as requestStatus",
        "r.callbackUrl",
        "a.name as agentName",
      ])
      .where("e.seq", ">", position)
      .orderBy("e.seq")
      .limit(limit)
      // An event's data is always a JSON object (see appendEvents); past the cursor, every event is sealed.
      .$narrowType<{ data: Record<string, unknown>; seq: string }>()
      .execute()
  );
}

export interface NewDelivery {
  id: string;
  endpoint_id: string | null;
  agent_id: string | null;
  url: string;
  event_type: string;
  event_seq: string;
  request_id: string | null;
  payload: unknown;
}

export function newDeliveryId(): string {
  return `msg_${randomBytes(16).toString("hex")}`;
}

/**
 * Inserts new deliveries; with `claim`, already leased to this process
 * (attempt 1, invisible to other workers for the lease), to be sent right after the commit.
 */
export async function insertDeliveries(trx: Trx, queued: NewDelivery[], claim: boolean): Promise<void> {
  if (!queued.length) return;
  const lease = claim ? new Date(Date.now() + LEASE_MS) : null;
  // One statement whatever the batch's size: the rows travel as one JSON parameter.
  await sql`
    INSERT INTO deliveries (id, endpoint_id, agent_id, url, event_type, event_seq, request_id, payload, attempts, next_attempt_at)
    SELECT x.id, x.endpoint_id, x.agent_id, x.url, x.event_type, x.event_seq, x.request_id, x.payload,
           CASE WHEN ${lease}::timestamptz IS NULL THEN 0 ELSE 1 END, COALESCE(${lease}::timestamptz, now())
      FROM jsonb_to_recordset(${JSON.stringify(queued)}::jsonb)
        AS x(id text, endpoint_id text, agent_id text, url text, event_type text, event_seq bigint, request_id text, payload jsonb)`.execute(trx);
}

export async function advanceCursor(trx: Trx, id: string, position: string): Promise<void> {
  await trx.updateTable("deliveryCursors").set({ position, updatedAt: sql`now()` }).where("id", "=", id).execute();
}

/**
 * The dispatcher: reads audit events after the webhook cursor and turns the
 * ones endpoints subscribe to, and the final states of requests with a
 * `callback_url`, into delivery rows, advancing the cursor in the same
 * transaction. The cursor row is locked with SKIP LOCKED, so with several
 * instances exactly one advances it at a time and no event is queued twice.
 * Returns how many events it read (loop while it reads full batches).
 *
 * With `claim`, the new rows are inserted already leased to this process
 * (attempt 1, invisible to other workers for the lease) and returned, so the
 * caller sends them right after the commit without claiming them again.
 */
export async function dispatchWebhooks(o: { batchSize?: number; claim?: boolean } = {}): Promise<{ read: number; queued: number; claimed: Claimed[] }> {
  const batchSize = o.batchSize ?? 500;
  return transact(async (trx) => {
    const cursor = await lockCursor(trx, WEBHOOK_CURSOR);
    if (!cursor) return { read: 0, queued: 0, claimed: [] };
    const events = await eventsAfter(trx, cursor.position, batchSize);
    if (events.length === 0) return { read: 0, queued: 0, claimed: [] };

    const endpoints = await trx
      .selectFrom("webhookEndpoints")
      .select(["id", "url", "eventTypes", "startSeq", "secretSealed"])
      .where("enabled", "=", true)
      .execute();
    const callbackAgents = new Map<string, string>();
    if (events.some((e) => e.callbackUrl && CALLBACK_AUDIT_TYPES.includes(e.type))) {
      const agentIds = [...new Set(events.map((e) => e.agentId).filter((a): a is string => !!a))];
      const rows = await trx
        .selectFrom("agentCallbackSecrets")
        .select(["agentId", "secretSealed"])
        .where("agentId", "=", sql<string>`any(${agentIds}::text[])`)
        .execute();
      for (const r of rows) callbackAgents.set(r.agentId, r.secretSealed);
    }

    const queued: NewDelivery[] = [];
    const claimed: Claimed[] = [];
    const add = (d: Omit<NewDelivery, "id">, secretSealed: string | null) => {
      const id = newDeliveryId();
      queued.push({ id, ...d });
      claimed.push({ id, url: d.url, payload: d.payload, attempts: 1, secretSealed, agentId: d.agent_id });
    };
    for (const e of events) {
      const type = AUDIT_TO_WEBHOOK[e.type];
      if (type) {
        for (const ep of endpoints) {
          if (BigInt(e.seq) <= BigInt(ep.startSeq) || !ep.eventTypes.includes(type)) continue;
          add(
            { endpoint_id: ep.id, agent_id: null, url: ep.url, event_type: type, event_seq: e.seq, request_id: e.requestId, payload: buildPayload(type, e) },
            ep.secretSealed,
          );
        }
      }
      if (e.callbackUrl && e.agentId && callbackAgents.has(e.agentId) && CALLBACK_AUDIT_TYPES.includes(e.type)) {
        add(
          {
            endpoint_id: null,
            agent_id: e.agentId,
            url: e.callbackUrl,
            event_type: "request.decided",
            event_seq: e.seq,
            request_id: e.requestId,
            payload: buildPayload("request.decided", e),
          },
          callbackAgents.get(e.agentId)!,
        );
      }
    }
    await insertDeliveries(trx, queued, o.claim ?? false);
    await advanceCursor(trx, WEBHOOK_CURSOR, events[events.length - 1].seq);
    return { read: events.length, queued: queued.length, claimed: o.claim ? claimed : [] };
  });
}
