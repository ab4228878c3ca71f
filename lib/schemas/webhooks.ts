import { z } from "./zod.ts";

// Webhook endpoints and deliveries: what the admin endpoints accept and answer.

/** The event types webhook endpoints subscribe to (lib/delivery/events.ts maps audit events to them). */
export const WEBHOOK_EVENT_TYPES = [
  "request.created",
  "request.decided",
  "request.expiring",
  "request.escalated",
  "request.expired",
  "request.cancelled",
  "request.outcome_reported",
  "grant.redeemed",
  "grant.redemption_refused",
  "agent.suspended",
  "agent.resumed",
  "agent.retired",
] as const;

const timestamp = z.string().openapi({ format: "date-time", example: "2026-11-23T19:00:00.000Z" });

export const WebhookEventType = z.enum(WEBHOOK_EVENT_TYPES).openapi("WebhookEventType", {
  description:
    "`request.decided` covers approvals and denials (by people or by policy); `request.created` fires for every new request, pending or decided by policy.",
});
export type WebhookEventType = z.infer<typeof WebhookEventType>;

const url = z.string().max(2048).openapi({
  description: "Where to POST. `https://`; plain `http://` only to localhost when the server allows it. Link-local and cloud metadata addresses are refused.",
  example: "https://hooks.example.com/countersign",
});

export const CreateWebhookBody = z
  .strictObject({
    url,
    description: z.string().max(500).optional(),
    event_types: z.array(WebhookEventType).min(1).max(WEBHOOK_EVENT_TYPES.length),
    enabled: z.boolean().optional(),
  })
  .openapi("CreateWebhookBody");
export type CreateWebhookBody = z.infer<typeof CreateWebhookBody>;

export const UpdateWebhookBody = z
  .strictObject({
    url: url.optional(),
    description: z.string().max(500).optional(),
    event_types: z.array(WebhookEventType).min(1).max(WEBHOOK_EVENT_TYPES.length).optional(),
    enabled: z.boolean().optional(),
  })
  .refine((b) => Object.keys(b).length > 0, { message: "change at least one field", path: ["(body)"] })
  .openapi("UpdateWebhookBody");
export type UpdateWebhookBody = z.infer<typeof UpdateWebhookBody>;

export const WebhookObject = z
  .object({
    id: z.string().openapi({ example: "whe_3f9a0c1d2e4b5a6c7d8e" }),
    url: z.string(),
    description: z.string(),
    event_types: z.array(z.string()),
    enabled: z.boolean(),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .openapi("WebhookEndpoint");
export type WebhookObject = z.infer<typeof WebhookObject>;

export const WebhookList = z
  .object({ data: z.array(WebhookObject), event_types: z.array(z.string()).openapi({ description: "Every event type an endpoint can subscribe to." }) })
  .openapi("WebhookEndpointList");
export type WebhookList = z.infer<typeof WebhookList>;

const secret = z.string().openapi({
  description: "The signing secret (Standard Webhooks, `whsec_` + base64). Shown in this answer only.",
  example: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
});
export const CreatedWebhook = z.object({ endpoint: WebhookObject, secret }).openapi("CreatedWebhookEndpoint");
export type CreatedWebhook = z.infer<typeof CreatedWebhook>;
export const RotatedSecret = z.object({ secret }).openapi("RotatedWebhookSecret");
export type RotatedSecret = z.infer<typeof RotatedSecret>;

export const DeliveryStatus = z.enum(["pending", "failed", "delivered", "dead"]).openapi("DeliveryStatus", {
  description:
    "`pending`: not tried yet; `failed`: will be retried at `next_attempt_at`; `delivered`: the receiver answered 2xx; `dead`: gave up after the maximum attempts (retry by hand).",
});

export const DeliveryObject = z
  .object({
    id: z.string().openapi({
      description: "Also the `webhook-id` header: the same on every attempt, so receivers deduplicate by it.",
      example: "msg_6f1c2a7e0b9d4c3e8a5f1b2c3d4e5f60",
    }),
    endpoint_id: z.string().nullable().openapi({ description: "The webhook endpoint, or null for a request's callback_url or an email." }),
    agent_id: z.string().nullable().openapi({ description: "For callbacks: the agent whose secret signs it." }),
    url: z.string().openapi({ description: "Where it goes: the endpoint's or callback's URL, or `mailto:` the recipient of an email." }),
    event_type: z.string(),
    event_seq: z.number().int().nullable().openapi({ description: "The audit event it comes from (null for test events)." }),
    request_id: z.string().nullable(),
    status: DeliveryStatus,
    attempts: z.number().int(),
    next_attempt_at: timestamp.nullable(),
    last_error: z.string().nullable(),
    response_status: z.number().int().nullable().openapi({ description: "The HTTP status (for email, the SMTP reply code) of the last answer, if any." }),
    created_at: timestamp,
    delivered_at: timestamp.nullable(),
  })
  .openapi("Delivery");
export type DeliveryObject = z.infer<typeof DeliveryObject>;

export const DeliveryList = z.object({ data: z.array(DeliveryObject), next_cursor: z.string().nullable() }).openapi("DeliveryList");
export type DeliveryList = z.infer<typeof DeliveryList>;

export const DeliveryQuery = z.strictObject({
  endpoint_id: z.string().max(64).optional(),
  agent_id: z.string().max(64).optional(),
  status: DeliveryStatus.optional(),
  limit: z.coerce.number().int().min(1).max(200).optional(),
  cursor: z.string().max(64).optional().openapi({ description: "`next_cursor` of the previous page." }),
});
