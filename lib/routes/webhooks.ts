import "server-only";
import { listDeliveries, retryDelivery, sendTestEvent } from "../delivery/deliveries.ts";
import { createEndpoint, deleteEndpoint, getEndpoint, listEndpoints, rotateEndpointSecret, updateEndpoint } from "../delivery/endpoints.ts";
import { WEBHOOK_EVENT_TYPES } from "../schemas/webhooks.ts";
import { wakeDelivery } from "../delivery/runtime.ts";
import { toDeliveryObject, toWebhookObject } from "../delivery/views.ts";
import { json } from "../http/body.ts";
import { defineRoute } from "../http/define-route.ts";
import {
  ADMIN_FORBIDDEN,
  ADMIN_UNAUTHENTICATED,
  type ErrorCase,
  errors,
  invalid,
  jsonContent,
  pathParams,
  roleForbidden,
  TOO_LARGE,
  UNAVAILABLE,
} from "../openapi/components.ts";
import * as ex from "../openapi/examples.ts";
import {
  CreatedWebhook,
  CreateWebhookBody,
  DeliveryList,
  DeliveryObject,
  DeliveryQuery,
  RotatedSecret,
  UpdateWebhookBody,
  WebhookList,
  WebhookObject,
} from "../schemas/webhooks.ts";

/*
 * Webhook endpoints, their delivery history (webhooks and agents' callbacks)
 * and manual retries. Reads take an admin's or an auditor's session, changes
 * an admin's; either also an admin API token with `webhooks:read` or
 * `webhooks:write`.
 */

const tags = ["Webhooks"];
const READERS = { admin: ["admin", "auditor"], scope: "webhooks:read" } as const;
const ADMINS = { admin: ["admin"], scope: "webhooks:write" } as const;
const READ_ERRORS = [ADMIN_UNAUTHENTICATED, roleForbidden("admins and auditors", false)];
const WRITE_ERRORS = [ADMIN_UNAUTHENTICATED, ADMIN_FORBIDDEN];
const ENDPOINT_NOT_FOUND: ErrorCase = { code: "not_found", when: "No such webhook endpoint.", detail: "no such webhook endpoint" };
const DELIVERY_NOT_FOUND: ErrorCase = { code: "not_found", when: "No such delivery.", detail: "no such delivery" };
const endpointId = pathParams({ id: { description: "The endpoint's id (`whe_…`).", example: "whe_3f9a0c1d2e4b5a6c7d8e" } });
const deliveryId = pathParams({ id: { description: "The delivery's id (`msg_…`), also its `webhook-id`.", example: "msg_6f1c2a7e0b9d4c3e8a5f1b2c3d4e5f60" } });
const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const BAD_URL = invalid(
  "The body breaks the schema, or the URL may not receive webhooks: not https, a link-local or metadata address in any spelling, or a loopback or private address while COUNTERSIGN_OUTBOUND_ALLOW_PRIVATE is off.",
  [{ path: "url", message: "::ffff:a9fe:a9fe (IPv4 169.254.169.254) is link-local (169.254.0.0/16, where cloud metadata services live), always refused" }],
);

const ENDPOINT = {
  id: "whe_3f9a0c1d2e4b5a6c7d8e",
  url: "https://hooks.example.com/countersign",
  description: "#approvals channel",
  event_types: ["request.created", "request.decided"],
  enabled: true,
  created_at: "2026-11-23T19:00:00.000Z",
  updated_at: "2026-11-23T19:00:00.000Z",
};
const DELIVERY = {
  id: "msg_6f1c2a7e0b9d4c3e8a5f1b2c3d4e5f60",
  endpoint_id: ENDPOINT.id,
  agent_id: null,
  url: ENDPOINT.url,
  event_type: "request.decided",
  event_seq: 1042,
  request_id: ex.IDS.request,
  status: "failed" as const,
  attempts: 2,
  next_attempt_at: "2026-11-23T19:01:05.000Z",
  last_error: "the receiver answered 503",
  response_status: 503,
  created_at: "2026-11-23T19:00:20.000Z",
  delivered_at: null,
};

const PAYLOAD_NOTE =
  "Each delivery is a `POST` of `{type, timestamp, text, data}` signed per Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`); `data.request` carries the request's id, action, resource, summary, status, agent, decision and `url` (its page in the dashboard), never a grant token or an agent key. Delivery is at-least-once: deduplicate by `webhook-id`.";

const listWebhooksRoute = defineRoute({
  method: "GET",
  path: "/api/v1/admin/webhooks",
  access: READERS,
  docs: {
    operationId: "listWebhooks",
    summary: "List webhook endpoints",
    description: `Every endpoint with its subscribed event types (never its secret), and the event types there are. ${PAYLOAD_NOTE}`,
    tags,
    responses: {
      200: {
        description: "The endpoints.",
        content: jsonContent(WebhookList, {
          endpoints: { value: { data: [ENDPOINT], event_types: ["request.created", "request.decided", "request.expired"] } },
        }),
      },
      ...errors(...READ_ERRORS, UNAVAILABLE),
    },
  },
  async handler() {
    return json({ data: (await listEndpoints()).map(toWebhookObject), event_types: [...WEBHOOK_EVENT_TYPES] });
  },
});

const createWebhookRoute = defineRoute({
  method: "POST",
  path: "/api/v1/admin/webhooks",
  access: ADMINS,
  body: CreateWebhookBody,
  docs: {
    operationId: "createWebhook",
    summary: "Add a webhook endpoint",
    description: `Adds an endpoint; it receives the chosen event types from events that commit after it is created. The signing secret is in this answer only. ${PAYLOAD_NOTE}`,
    tags,
    request: {
      bodyExamples: { chat: { value: { url: ENDPOINT.url, description: ENDPOINT.description, event_types: ["request.created", "request.decided"] } } },
    },
    responses: {
      201: {
        description: "Added; the secret is shown once.",
        content: jsonContent(CreatedWebhook, { created: { value: { endpoint: ENDPOINT, secret: SECRET } } }),
      },
      ...errors(...WRITE_ERRORS, TOO_LARGE, BAD_URL, UNAVAILABLE),
    },
  },
  async handler({ admin, body }) {
    const { endpoint, secret } = await createEndpoint({
      url: body.url,
      description: body.description,
      eventTypes: body.event_types,
      enabled: body.enabled,
      actor: admin.actor,
    });
    return json({ endpoint: toWebhookObject(endpoint), secret }, { status: 201 });
  },
});

const getWebhookRoute = defineRoute({
  method: "GET",
  path: "/api/v1/admin/webhooks/{id}",
  access: READERS,
  docs: {
    operationId: "getWebhook",
    summary: "Get a webhook endpoint",
    description: "One endpoint (never its secret).",
    tags,
    request: { params: endpointId },
    responses: {
      200: { description: "The endpoint.", content: jsonContent(WebhookObject, { endpoint: { value: ENDPOINT } }) },
      ...errors(...READ_ERRORS, ENDPOINT_NOT_FOUND, UNAVAILABLE),
    },
  },
  async handler({ params }) {
    return json(toWebhookObject(await getEndpoint(params.id)));
  },
});

const updateWebhookRoute = defineRoute({
  method: "PATCH",
  path: "/api/v1/admin/webhooks/{id}",
  access: ADMINS,
  body: UpdateWebhookBody,
  docs: {
    operationId: "updateWebhook",
    summary: "Edit a webhook endpoint",
    description:
      "Changes the URL, description, event types or `enabled`; send only what changes. A disabled endpoint gets no new deliveries, and its queued ones wait until it is enabled again.",
    tags,
    request: { params: endpointId, bodyExamples: { disable: { value: { enabled: false } } } },
    responses: {
      200: { description: "The endpoint after the change.", content: jsonContent(WebhookObject, { disabled: { value: { ...ENDPOINT, enabled: false } } }) },
      ...errors(...WRITE_ERRORS, ENDPOINT_NOT_FOUND, TOO_LARGE, BAD_URL, UNAVAILABLE),
    },
  },
  async handler({ admin, params, body }) {
    const endpoint = await updateEndpoint({
      id: params.id,
      url: body.url,
      description: body.description,
      eventTypes: body.event_types,
      enabled: body.enabled,
      actor: admin.actor,
    });
    return json(toWebhookObject(endpoint));
  },
});

const deleteWebhookRoute = defineRoute({
  method: "DELETE",
  path: "/api/v1/admin/webhooks/{id}",
  access: ADMINS,
  docs: {
    operationId: "deleteWebhook",
    summary: "Delete a webhook endpoint",
    description: "Deletes the endpoint and its delivery history. The deletion is in the audit log.",
    tags,
    request: { params: endpointId },
    responses: { 204: { description: "Deleted." }, ...errors(...WRITE_ERRORS, ENDPOINT_NOT_FOUND, UNAVAILABLE) },
  },
  async handler({ admin, params }) {
    await deleteEndpoint({ id: params.id, actor: admin.actor });
    return new Response(null, { status: 204 });
  },
});

const rotateWebhookSecretRoute = defineRoute({
  method: "POST",
  path: "/api/v1/admin/webhooks/{id}/rotate-secret",
  access: ADMINS,
  docs: {
    operationId: "rotateWebhookSecret",
    summary: "Rotate an endpoint's secret",
    description: "Replaces the signing secret at once (queued deliveries are signed with the new one); the new secret is in this answer only.",
    tags,
    request: { params: endpointId },
    responses: {
      200: { description: "The new secret, shown once.", content: jsonContent(RotatedSecret, { rotated: { value: { secret: SECRET } } }) },
      ...errors(...WRITE_ERRORS, ENDPOINT_NOT_FOUND, UNAVAILABLE),
    },
  },
  async handler({ admin, params }) {
    return json({ secret: await rotateEndpointSecret({ id: params.id, actor: admin.actor }) });
  },
});

const testWebhookRoute = defineRoute({
  method: "POST",
  path: "/api/v1/admin/webhooks/{id}/test",
  access: ADMINS,
  docs: {
    operationId: "testWebhook",
    summary: "Send a test event",
    description: "Queues a signed `webhook.test` event to the endpoint and answers at once; follow it in the delivery history.",
    tags,
    request: { params: endpointId },
    responses: {
      202: {
        description: "Queued.",
        content: jsonContent(DeliveryObject, {
          queued: {
            value: {
              ...DELIVERY,
              event_type: "webhook.test",
              event_seq: null,
              request_id: null,
              status: "pending",
              attempts: 0,
              last_error: null,
              response_status: null,
            },
          },
        }),
      },
      ...errors(...WRITE_ERRORS, ENDPOINT_NOT_FOUND, UNAVAILABLE),
    },
  },
  async handler({ params }) {
    const delivery = await sendTestEvent({ endpointId: params.id });
    wakeDelivery();
    return json(toDeliveryObject(delivery), { status: 202 });
  },
});

const listDeliveriesRoute = defineRoute({
  method: "GET",
  path: "/api/v1/admin/deliveries",
  access: READERS,
  query: DeliveryQuery,
  docs: {
    operationId: "listDeliveries",
    summary: "Delivery history",
    description:
      "Webhook and callback deliveries, newest first, with status, attempts, the last error and response code. Filter by endpoint, agent (callbacks) or status; page with `cursor`.",
    tags,
    responses: {
      200: { description: "A page of deliveries.", content: jsonContent(DeliveryList, { page: { value: { data: [DELIVERY], next_cursor: null } } }) },
      ...errors(
        ...READ_ERRORS,
        invalid("A query parameter is not valid.", [
          { path: "query.status", message: 'Invalid option: expected one of "pending"|"failed"|"delivered"|"dead"' },
        ]),
        UNAVAILABLE,
      ),
    },
  },
  async handler({ query }) {
    const limit = query.limit ?? 50;
    const rows = await listDeliveries({ endpointId: query.endpoint_id, agentId: query.agent_id, status: query.status, limit, before: query.cursor });
    return json({ data: rows.map(toDeliveryObject), next_cursor: rows.length === limit ? rows[rows.length - 1].id : null });
  },
});

const retryDeliveryRoute = defineRoute({
  method: "POST",
  path: "/api/v1/admin/deliveries/{id}/retry",
  access: ADMINS,
  docs: {
    operationId: "retryDelivery",
    summary: "Retry a delivery",
    description: "Queues a failed or dead delivery for one more attempt now, with the same `webhook-id`. The retry is in the audit log.",
    tags,
    request: { params: deliveryId },
    responses: {
      202: { description: "Queued.", content: jsonContent(DeliveryObject, { queued: { value: { ...DELIVERY, status: "pending" } } }) },
      ...errors(
        ...WRITE_ERRORS,
        DELIVERY_NOT_FOUND,
        { code: "conflict", when: "The delivery is pending or delivered.", detail: "the delivery is delivered; only failed or dead deliveries can be retried" },
        UNAVAILABLE,
      ),
    },
  },
  async handler({ admin, params }) {
    const delivery = await retryDelivery({ id: params.id, actor: admin.actor });
    wakeDelivery();
    return json(toDeliveryObject(delivery), { status: 202 });
  },
});

export const webhookRoutes = [
  listWebhooksRoute,
  createWebhookRoute,
  getWebhookRoute,
  updateWebhookRoute,
  deleteWebhookRoute,
  rotateWebhookSecretRoute,
  testWebhookRoute,
  listDeliveriesRoute,
  retryDeliveryRoute,
];
