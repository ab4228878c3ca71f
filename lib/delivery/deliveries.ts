import "server-only";
import { sql } from "kysely";
import { appendEvents } from "../audit/append-event.ts";
import { db, type Queryable, type Trx, transact } from "../db.ts";
import { AppError } from "../errors.ts";
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

const COLUMNS = [
  "id",
  "endpointId",
  "agentId",
  "url",
  "eventType",
  "eventSeq",
  "requestId",
  "status",
  "attempts",
  "nextAttemptAt",
  "lastError",
  "responseStatus",
  "createdAt",
  "deliveredAt",
] as const;

/** The deliveries table, with `status` as its CHECK constraint allows. */
const deliveries = (q: Queryable) => q.selectFrom("deliveries").select(COLUMNS).$narrowType<{ status: DeliveryRow["status"] }>();

/** Delivery history, newest first; filter by endpoint, agent (callbacks) or status; page with `before` (a delivery id). */
export async function listDeliveries(
  o: { endpointId?: string; agentId?: string; status?: string; limit?: number; before?: string } = {},
): Promise<DeliveryRow[]> {
  let q = deliveries(db());
  if (o.endpointId) q = q.where("endpointId", "=", o.endpointId);
  if (o.agentId) q = q.where("agentId", "=", o.agentId);
  if (o.status) q = q.where("status", "=", o.status);
  if (o.before) q = q.where(sql<boolean>`(created_at, id) < (SELECT created_at, id FROM deliveries WHERE id = ${o.before})`);
  return q
    .orderBy("createdAt", "desc")
    .orderBy("id", "desc")
    .limit(o.limit ?? 50)
    .execute();
}

export async function getDelivery(id: string): Promise<DeliveryRow> {
  const row = await deliveries(db()).where("id", "=", id).executeTakeFirst();
  if (!row) throw new AppError("not_found", "no such delivery");
  return row;
}

/** Queues a failed or dead delivery for one more attempt now (same webhook-id, so receivers can deduplicate). */
export async function retryDelivery(o: { id: string; actor: string }): Promise<DeliveryRow> {
  await transact(async (trx) => {
    const row = await trx.selectFrom("deliveries").select(["status", "eventType", "endpointId"]).where("id", "=", o.id).forUpdate().executeTakeFirst();
    if (!row) throw new AppError("not_found", "no such delivery");
    if (row.status !== "failed" && row.status !== "dead")
      throw new AppError("conflict", `the delivery is ${row.status}; only failed or dead deliveries can be retried`);
    await trx.updateTable("deliveries").set({ status: "pending", nextAttemptAt: sql`now()`, updatedAt: sql`now()` }).where("id", "=", o.id).execute();
    await appendEvents(trx, [
      {
        type: "webhook.delivery_retried",
        actor: o.actor,
        data: { delivery_id: o.id, event_type: row.eventType, endpoint_id: row.endpointId, status_before: row.status },
      },
    ]);
  });
  return getDelivery(o.id);
}

/** Queues a `webhook.test` event to one endpoint (even a disabled one is tested once it is enabled). */
export async function sendTestEvent(o: { endpointId: string }): Promise<DeliveryRow> {
  const endpoint = await getEndpoint(o.endpointId);
  const { id } = await db()
    .insertInto("deliveries")
    .values({
      id: sql<string>`'msg_' || replace(gen_random_uuid()::text, '-', '')`,
      endpointId: endpoint.id,
      url: endpoint.url,
      eventType: "webhook.test",
      payload: JSON.stringify(testPayload(endpoint.id, new Date())),
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  return getDelivery(id);
}

/**
 * A new per-agent callback secret (signs `request.decided` to its requests' callback_url); shown once.
 * In the caller's transaction `trx` when given, else in its own.
 */
export async function rotateCallbackSecret(o: { agentId: string; actor: string; trx?: Trx }): Promise<string> {
  const secret = generateWebhookSecret();
  const work = async (trx: Trx) => {
    const result = await trx
      .insertInto("agentCallbackSecrets")
      .columns(["agentId", "secretSealed"])
      .expression((eb) =>
        eb
          .selectFrom("agents")
          .select(["id", eb.val(seal("webhook-secret-v1", secret)).as("secretSealed")])
          .where("id", "=", o.agentId),
      )
      .onConflict((oc) => oc.column("agentId").doUpdateSet((eb) => ({ secretSealed: eb.ref("excluded.secretSealed"), createdAt: sql`now()` })))
      .executeTakeFirst();
    if (!result.numInsertedOrUpdatedRows) throw new AppError("not_found", "no such agent");
    await appendEvents(trx, [{ type: "agent.callback_secret_rotated", actor: o.actor, agentId: o.agentId, data: {} }]);
  };
  await (o.trx ? work(o.trx) : transact(work));
  return secret;
}
