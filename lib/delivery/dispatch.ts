import "server-only";
import { randomBytes } from "node:crypto";
import type pg from "pg";
import { pool, transaction } from "../db.ts";
import { AUDIT_TO_WEBHOOK, buildPayload, CALLBACK_AUDIT_TYPES, type AuditEventRow } from "./events.ts";
import { LEASE_MS, type Claimed } from "./worker.ts";

export const WEBHOOK_CURSOR = "webhooks";

/** Creates a cursor at the current end of the audit log if it does not exist yet (a new sink starts from now). */
export async function ensureCursor(id: string, client: pg.Pool | pg.PoolClient = pool()): Promise<void> {
  await client.query({
    name: "cs_delivery_cursor_ensure",
    text: "INSERT INTO delivery_cursors (id, position) SELECT $1, seq FROM audit_head WHERE id = 1 ON CONFLICT (id) DO NOTHING",
    values: [id],
  });
}

/**
 * Locks the cursor `id` if no other instance holds it. Returns its position,
 * or null when another instance is advancing it right now (it will deliver
 * these events; this one skips instead of waiting).
 */
export async function lockCursor(client: pg.PoolClient, id: string, now?: Date): Promise<{ position: string } | null> {
  const { rows } = await client.query<{ position: string }>({
    name: "cs_delivery_cursor_lock",
    text: "SELECT position FROM delivery_cursors WHERE id = $1 AND next_attempt_at <= $2 FOR UPDATE SKIP LOCKED",
    values: [id, (now ?? new Date()).toISOString()],
  });
  return rows[0] ?? null;
}

/** Audit events after `position`, oldest first, with the request and agent they concern. */
export async function eventsAfter(client: pg.PoolClient, position: string, limit: number): Promise<AuditEventRow[]> {
  const { rows } = await client.query<AuditEventRow>({
    name: "cs_delivery_events_after",
    text: `SELECT e.seq, e.type, e.actor, e.request_id, e.agent_id, e.data, e.occurred_at,
                  r.action, r.resource, r.summary, r.justification, r.params, r.context, r.status::text AS request_status, r.callback_url, a.name AS agent_name
             FROM audit_events e
             LEFT JOIN action_requests r ON r.id = e.request_id
             LEFT JOIN agents a ON a.id = e.agent_id
            WHERE e.seq > $1
            ORDER BY e.seq
            LIMIT $2`,
    values: [position, limit],
  });
  return rows;
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
export async function insertDeliveries(client: pg.PoolClient, queued: NewDelivery[], claim: boolean): Promise<void> {
  if (!queued.length) return;
  const lease = claim ? new Date(Date.now() + LEASE_MS).toISOString() : null;
  await client.query({
    name: "cs_delivery_insert",
    text: `INSERT INTO deliveries (id, endpoint_id, agent_id, url, event_type, event_seq, request_id, payload, attempts, next_attempt_at)
           SELECT x.id, x.endpoint_id, x.agent_id, x.url, x.event_type, x.event_seq, x.request_id, x.payload,
                  CASE WHEN $2::timestamptz IS NULL THEN 0 ELSE 1 END, COALESCE($2::timestamptz, now())
             FROM jsonb_to_recordset($1::jsonb) AS x(id text, endpoint_id text, agent_id text, url text, event_type text, event_seq bigint, request_id text, payload jsonb)`,
    values: [JSON.stringify(queued), lease],
  });
}

export async function advanceCursor(client: pg.PoolClient, id: string, position: string): Promise<void> {
  await client.query({
    name: "cs_delivery_cursor_advance",
    text: "UPDATE delivery_cursors SET position = $2, updated_at = now() WHERE id = $1",
    values: [id, position],
  });
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
  return transaction(async (client) => {
    const cursor = await lockCursor(client, WEBHOOK_CURSOR);
    if (!cursor) return { read: 0, queued: 0, claimed: [] };
    const events = await eventsAfter(client, cursor.position, batchSize);
    if (events.length === 0) return { read: 0, queued: 0, claimed: [] };

    const { rows: endpoints } = await client.query<{ id: string; url: string; event_types: string[]; start_seq: string; secret_sealed: string }>({
      name: "cs_delivery_endpoints",
      text: "SELECT id, url, event_types, start_seq, secret_sealed FROM webhook_endpoints WHERE enabled",
    });
    const callbackAgents = new Map<string, string>();
    if (events.some((e) => e.callback_url && CALLBACK_AUDIT_TYPES.includes(e.type))) {
      const { rows } = await client.query<{ agent_id: string; secret_sealed: string }>({
        name: "cs_delivery_callback_agents",
        text: "SELECT agent_id, secret_sealed FROM agent_callback_secrets WHERE agent_id = ANY($1)",
        values: [[...new Set(events.map((e) => e.agent_id).filter((a): a is string => !!a))]],
      });
      for (const r of rows) callbackAgents.set(r.agent_id, r.secret_sealed);
    }

    const queued: NewDelivery[] = [];
    const claimed: Claimed[] = [];
    const add = (d: Omit<NewDelivery, "id">, secretSealed: string | null) => {
      const id = newDeliveryId();
      queued.push({ id, ...d });
      claimed.push({ id, url: d.url, payload: d.payload, attempts: 1, secret_sealed: secretSealed, agent_id: d.agent_id });
    };
    for (const e of events) {
      const type = AUDIT_TO_WEBHOOK[e.type];
      if (type) {
        for (const ep of endpoints) {
          if (BigInt(e.seq) <= BigInt(ep.start_seq) || !ep.event_types.includes(type)) continue;
          add(
            { endpoint_id: ep.id, agent_id: null, url: ep.url, event_type: type, event_seq: e.seq, request_id: e.request_id, payload: buildPayload(type, e) },
            ep.secret_sealed,
          );
        }
      }
      if (e.callback_url && e.agent_id && callbackAgents.has(e.agent_id) && CALLBACK_AUDIT_TYPES.includes(e.type)) {
        add(
          {
            endpoint_id: null,
            agent_id: e.agent_id,
            url: e.callback_url,
            event_type: "request.decided",
            event_seq: e.seq,
            request_id: e.request_id,
            payload: buildPayload("request.decided", e),
          },
          callbackAgents.get(e.agent_id)!,
        );
      }
    }
    await insertDeliveries(client, queued, o.claim ?? false);
    await advanceCursor(client, WEBHOOK_CURSOR, events[events.length - 1].seq);
    return { read: events.length, queued: queued.length, claimed: o.claim ? claimed : [] };
  });
}
