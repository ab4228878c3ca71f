import { createEndpoint, listEndpoints } from "@/lib/delivery/endpoints";
import { WEBHOOK_EVENT_TYPES } from "@/lib/delivery/events";
import { toWebhookObject } from "@/lib/delivery/views";
import { json, readBody } from "@/lib/http/body";
import { withAdmin } from "@/lib/http/with-admin";
import { withSession } from "@/lib/http/with-session";
import { CreateWebhookBody } from "@/lib/schemas/webhooks";

/** Webhook endpoints and the event types they may subscribe to. Auditors may read. */
export const GET = withSession(["admin", "auditor"], async () => {
  return json({ data: (await listEndpoints()).map(toWebhookObject), event_types: [...WEBHOOK_EVENT_TYPES] });
});

/** Adds an endpoint; its signing secret is in this answer only. */
export const POST = withAdmin(async (req, { admin }) => {
  const b = await readBody(req, CreateWebhookBody);
  const { endpoint, secret } = await createEndpoint({ url: b.url, description: b.description, eventTypes: b.event_types, enabled: b.enabled, actor: admin.actor });
  return json({ endpoint: toWebhookObject(endpoint), secret }, { status: 201 });
});
