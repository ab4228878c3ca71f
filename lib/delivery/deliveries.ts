import "server-only";
import { pool, transaction } from "../db.ts";
import { AppError } from "../errors.ts";
import { appendEventsPg } from "../audit/append-event.ts";
import { seal } from "../sealing.ts";
import { getEndpoint } from "./endpoints.ts";
import { testPayload } from "./events.ts";
import { generateWebhookSecret } from "./secrets.ts";

export interface DeliveryRow {
  id: string;
  endpointId: string | null;
  agentId: string | null;
  url: string;
  eventType: string;
  eventSeq: string | null;
  requestId: string | null;
  status: "pending" | "failed" | "delivered" | "dead";
  attempts: number;
  nextAttemptAt: Date;
  lastError: string | null;
  responseStatus: number | null;
  createdAt: Date;
  deliveredAt: Date | null;
}

const COLUMNS = `id, endpoint_id AS "endpointId", agent_id AS "agentId", url, event_type AS "eventType", event_seq::text AS "eventSeq",
  request_id AS "requestId", status, attempts, next_attempt_at AS "nextAttemptAt", last_error AS "lastError",
  response_status AS "responseStatus", created_at AS "createdAt", delivered_at AS "deliveredAt"`;

/** Delivery history, newest first; filter by endpoint, agent (callbacks) or status; page with `before` (a delivery id). */
export async function listDeliveries(
  o: { endpointId?: string; agentId?: string; status?: string; limit?: number; before?: string } = {},
): Promise<DeliveryRow[]> {
  const where: string[] = [];
  const values: unknown[] = [];
  const add = (sql: string, v: unknown) => {
    values.push(v);
    where.push(sql.replace("?", `$${values.length}`));
  };
  if (o.endpointId) add("endpoint_id = ?", o.endpointId);
  if (o.agentId) add("agent_id = ?", o.agentId);
  if (o.status) add("status = ?", o.status);
  if (o.before) add("(created_at, id) < (SELECT created_at, id FROM deliveries WHERE id = ?)", o.before);
  values.push(o.limit ?? 50);
  const { rows } = await pool().query<DeliveryRow>(
    `SELECT ${COLUMNS} FROM deliveries ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY created_at DESC, id DESC LIMIT $${values.length}`,
    values,
  );
  return rows;
}

export async function getDelivery(id: string): Promise<DeliveryRow> {
  const { rows } = await pool().query<DeliveryRow>(`SELECT ${COLUMNS} FROM deliveries WHERE id = $1`, [id]);
  if (!rows[0]) throw new AppError("not_found", "no such delivery");
  return rows[0];
}

/** Queues a failed or dead delivery for one more attempt now (same webhook-id, so receivers can deduplicate). */
export async function retryDelivery(o: { id: string; actor: string }): Promise<DeliveryRow> {
  await transaction(async (client) => {
    const { rows } = await client.query<{ status: string; event_type: string; endpoint_id: string | null }>(
      "SELECT status, event_type, endpoint_id FROM deliveries WHERE id = $1 FOR UPDATE",
      [o.id],
    );
    if (!rows[0]) throw new AppError("not_found", "no such delivery");
    if (rows[0].status !== "failed" && rows[0].status !== "dead")
      throw new AppError("conflict", `the delivery is ${rows[0].status}; only failed or dead deliveries can be retried`);
    await client.query("UPDATE deliveries SET status = 'pending', next_attempt_at = now(), updated_at = now() WHERE id = $1", [o.id]);
    await appendEventsPg(client, [
      {
        type: "webhook.delivery_retried",
        actor: o.actor,
        data: { delivery_id: o.id, event_type: rows[0].event_type, endpoint_id: rows[0].endpoint_id, status_before: rows[0].status },
      },
    ]);
  });
  return getDelivery(o.id);
}

/** Queues a `webhook.test` event to one endpoint (even a disabled one is tested once it is enabled). */
export async function sendTestEvent(o: { endpointId: string }): Promise<DeliveryRow> {
  const endpoint = await getEndpoint(o.endpointId);
  const { rows } = await pool().query<{ id: string }>(
    `INSERT INTO deliveries (id, endpoint_id, url, event_type, payload)
     VALUES ('msg_' || replace(gen_random_uuid()::text, '-', ''), $1, $2, 'webhook.test', $3) RETURNING id`,
    [endpoint.id, endpoint.url, JSON.stringify(testPayload(endpoint.id, new Date()))],
  );
  return getDelivery(rows[0].id);
}

/** A new per-agent callback secret (signs `request.decided` to its requests' callback_url); shown once. */
export async function rotateCallbackSecret(o: { agentId: string; actor: string; client?: import("pg").PoolClient }): Promise<string> {
  const secret = generateWebhookSecret();
  const work = async (client: import("pg").PoolClient) => {
    const { rowCount } = await client.query(
      `INSERT INTO agent_callback_secrets (agent_id, secret_sealed) SELECT id, $2 FROM agents WHERE id = $1
       ON CONFLICT (agent_id) DO UPDATE SET secret_sealed = EXCLUDED.secret_sealed, created_at = now()`,
      [o.agentId, seal("webhook-secret-v1", secret)],
    );
    if (!rowCount) throw new AppError("not_found", "no such agent");
    await appendEventsPg(client, [{ type: "agent.callback_secret_rotated", actor: o.actor, agentId: o.agentId, data: {} }]);
  };
  await (o.client ? work(o.client) : transaction(work));
  return secret;
}
