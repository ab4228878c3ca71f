import "server-only";
import { sql } from "kysely";
import { randomBytes } from "node:crypto";
import { appendEvents } from "../audit/append-event.ts";
import { db, type Queryable, transact } from "../db.ts";
import { AppError } from "../errors.ts";
import { seal } from "../sealing.ts";
import { deliveryConfig } from "./config.ts";
import { WEBHOOK_EVENT_TYPES } from "../schemas/webhooks.ts";
import { generateWebhookSecret } from "./secrets.ts";
import { urlProblem } from "./url-safety.ts";

export interface WebhookEndpoint {
  id: string;
  url: string;
  description: string;
  eventTypes: string[];
  enabled: boolean;
  createdAt: Date;
  updatedAt: Date;
}

function checkUrl(url: string): void {
  const problem = urlProblem(url, deliveryConfig().destinations);
  if (problem) throw new AppError("validation_failed", `the URL ${problem}`, { errors: [{ path: "url", message: problem }] });
}

function checkTypes(types: string[]): void {
  const unknown = types.filter((t) => !(WEBHOOK_EVENT_TYPES as readonly string[]).includes(t));
  if (unknown.length) {
    throw new AppError("validation_failed", `unknown event type ${unknown[0]}`, {
      errors: [{ path: "event_types", message: `unknown event type ${unknown[0]}` }],
    });
  }
}

const COLUMNS = ["id", "url", "description", "eventTypes", "enabled", "createdAt", "updatedAt"] as const;

export async function listEndpoints(): Promise<WebhookEndpoint[]> {
  return db().selectFrom("webhookEndpoints").select(COLUMNS).orderBy("createdAt").orderBy("id").execute();
}

export async function getEndpoint(id: string, q: Queryable = db(), lock = false): Promise<WebhookEndpoint> {
  const endpoint = await q
    .selectFrom("webhookEndpoints")
    .select(COLUMNS)
    .where("id", "=", id)
    .$if(lock, (qb) => qb.forUpdate())
    .executeTakeFirst();
  if (!endpoint) throw new AppError("not_found", "no such webhook endpoint");
  return endpoint;
}

/** Adds an endpoint; its secret is in the answer only. It receives events that commit after it was created. */
export async function createEndpoint(o: {
  url: string;
  description?: string;
  eventTypes: string[];
  enabled?: boolean;
  actor: string;
}): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
  checkUrl(o.url);
  checkTypes(o.eventTypes);
  const id = `whe_${randomBytes(10).toString("hex")}`;
  const secret = generateWebhookSecret();
  const endpoint = await transact(async (trx) => {
    await trx
      .insertInto("webhookEndpoints")
      .values((eb) => ({
        id,
        url: o.url,
        description: o.description ?? "",
        eventTypes: [...new Set(o.eventTypes)],
        secretSealed: seal("webhook-secret-v1", secret),
        enabled: o.enabled ?? true,
        // It receives the events that commit after it: those past the chain's head now.
        startSeq: eb.selectFrom("auditHead").select("seq").where("id", "=", 1),
      }))
      .execute();
    await appendEvents(trx, [
      { type: "webhook.endpoint_created", actor: o.actor, data: { endpoint_id: id, url: o.url, event_types: o.eventTypes, enabled: o.enabled ?? true } },
    ]);
    return getEndpoint(id, trx);
  });
  return { endpoint, secret };
}

export async function updateEndpoint(o: {
  id: string;
  url?: string;
  description?: string;
  eventTypes?: string[];
  enabled?: boolean;
  actor: string;
}): Promise<WebhookEndpoint> {
  if (o.url !== undefined) checkUrl(o.url);
  if (o.eventTypes !== undefined) checkTypes(o.eventTypes);
  return transact(async (trx) => {
    const before = await getEndpoint(o.id, trx, true);
    const after = {
      url: o.url ?? before.url,
      description: o.description ?? before.description,
      event_types: o.eventTypes ? [...new Set(o.eventTypes)] : before.eventTypes,
      enabled: o.enabled ?? before.enabled,
    };
    await trx
      .updateTable("webhookEndpoints")
      .set({ url: after.url, description: after.description, eventTypes: after.event_types, enabled: after.enabled, updatedAt: sql`now()` })
      .where("id", "=", o.id)
      .execute();
    await appendEvents(trx, [
      {
        type: "webhook.endpoint_updated",
        actor: o.actor,
        data: {
          endpoint_id: o.id,
          before: { url: before.url, description: before.description, event_types: before.eventTypes, enabled: before.enabled },
          after,
        },
      },
    ]);
    return getEndpoint(o.id, trx);
  });
}

/** Deletes an endpoint with its delivery history. */
export async function deleteEndpoint(o: { id: string; actor: string }): Promise<void> {
  await transact(async (trx) => {
    const before = await getEndpoint(o.id, trx, true);
    await trx.deleteFrom("webhookEndpoints").where("id", "=", o.id).execute();
    await appendEvents(trx, [{ type: "webhook.endpoint_deleted", actor: o.actor, data: { endpoint_id: o.id, url: before.url } }]);
  });
}

/** Replaces the signing secret at once; the new one is in the answer only. Queued deliveries are signed with it. */
export async function rotateEndpointSecret(o: { id: string; actor: string }): Promise<string> {
  const secret = generateWebhookSecret();
  await transact(async (trx) => {
    await getEndpoint(o.id, trx, true);
    await trx
      .updateTable("webhookEndpoints")
      .set({ secretSealed: seal("webhook-secret-v1", secret), updatedAt: sql`now()` })
      .where("id", "=", o.id)
      .execute();
    await appendEvents(trx, [{ type: "webhook.secret_rotated", actor: o.actor, data: { endpoint_id: o.id } }]);
  });
  return secret;
}
