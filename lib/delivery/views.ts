import "server-only";
import type { DeliveryRow } from "./deliveries.ts";
import type { WebhookEndpoint } from "./endpoints.ts";

export function toWebhookObject(e: WebhookEndpoint) {
  return {
    id: e.id,
    url: e.url,
    description: e.description,
    event_types: e.eventTypes,
    enabled: e.enabled,
    created_at: e.createdAt.toISOString(),
    updated_at: e.updatedAt.toISOString(),
  };
}

export function toDeliveryObject(d: DeliveryRow) {
  const open = d.status === "pending" || d.status === "failed";
  return {
    id: d.id,
    endpoint_id: d.endpointId,
    agent_id: d.agentId,
    url: d.url,
    event_type: d.eventType,
    event_seq: d.eventSeq === null ? null : Number(d.eventSeq),
    request_id: d.requestId,
    status: d.status,
    attempts: d.attempts,
    next_attempt_at: open ? d.nextAttemptAt.toISOString() : null,
    last_error: d.lastError,
    response_status: d.responseStatus,
    created_at: d.createdAt.toISOString(),
    delivered_at: d.deliveredAt?.toISOString() ?? null,
  };
}
