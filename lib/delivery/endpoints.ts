import "server-only";
import { randomBytes } from "node:crypto";
import type pg from "pg";
import { appendEventsPg } from "../audit/append-event.ts";
import { pool, transaction } from "../db.ts";
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

const COLUMNS = `id, url, description, event_types AS "eventTypes", enabled, created_at AS "createdAt", updated_at AS "updatedAt"`;

export async function listEndpoints(): Promise<WebhookEndpoint[]> {
  const { rows } = await pool().query<WebhookEndpoint>(`SELECT ${COLUMNS} FROM webhook_endpoints ORDER BY created_at, id`);
  return rows;
}

export async function getEndpoint(id: string, client: pg.Pool | pg.PoolClient = pool(), lock = false): Promise<WebhookEndpoint> {
  const { rows } = await client.query<WebhookEndpoint>(`SELECT ${COLUMNS} FROM webhook_endpoints WHERE id = $1${lock ? " FOR UPDATE" : ""}`, [id]);
  if (!rows[0]) throw new AppError("not_found", "no such webhook endpoint");
  return rows[0];
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
  const endpoint = await transaction(async (client) => {
    await client.query(
      `INSERT INTO webhook_endpoints (id, url, description, event_types, secret_sealed, enabled, start_seq)
       SELECT $1, $2, $3, $4, $5, $6, seq FROM audit_head WHERE id = 1`,
      [id, o.url, o.description ?? "", [...new Set(o.eventTypes)], seal("webhook-secret-v1", secret), o.enabled ?? true],
    );
    await appendEventsPg(client, [
      { type: "webhook.endpoint_created", actor: o.actor, data: { endpoint_id: id, url: o.url, event_types: o.eventTypes, enabled: o.enabled ?? true } },
    ]);
    return getEndpoint(id, client);
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
  return transaction(async (client) => {
    const before = await getEndpoint(o.id, client, true);
    const after = {
      url: o.url ?? before.url,
      description: o.description ?? before.description,
      event_types: o.eventTypes ? [...new Set(o.eventTypes)] : before.eventTypes,
      enabled: o.enabled ?? before.enabled,
    };
    await client.query("UPDATE webhook_endpoints SET url = $2, description = $3, event_types = $4, enabled = $5, updated_at = now() WHERE id = $1", [
      o.id,
      after.url,
      after.description,
      after.event_types,
      after.enabled,
    ]);
    await appendEventsPg(client, [
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
    return getEndpoint(o.id, client);
  });
}

/** Deletes an endpoint with its delivery history. */
export async function deleteEndpoint(o: { id: string; actor: string }): Promise<void> {
  await transaction(async (client) => {
    const before = await getEndpoint(o.id, client, true);
    await client.query("DELETE FROM webhook_endpoints WHERE id = $1", [o.id]);
    await appendEventsPg(client, [{ type: "webhook.endpoint_deleted", actor: o.actor, data: { endpoint_id: o.id, url: before.url } }]);
  });
}

/** Replaces the signing secret at once; the new one is in the answer only. Queued deliveries are signed with it. */
export async function rotateEndpointSecret(o: { id: string; actor: string }): Promise<string> {
  const secret = generateWebhookSecret();
  await transaction(async (client) => {
    await getEndpoint(o.id, client, true);
    await client.query("UPDATE webhook_endpoints SET secret_sealed = $2, updated_at = now() WHERE id = $1", [o.id, seal("webhook-secret-v1", secret)]);
    await appendEventsPg(client, [{ type: "webhook.secret_rotated", actor: o.actor, data: { endpoint_id: o.id } }]);
  });
  return secret;
}
