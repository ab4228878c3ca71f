import { deleteEndpoint, getEndpoint, updateEndpoint } from "@/lib/delivery/endpoints";
import { toWebhookObject } from "@/lib/delivery/views";
import { json, readBody } from "@/lib/http/body";
import { withAdmin } from "@/lib/http/with-admin";
import { withSession } from "@/lib/http/with-session";
import { UpdateWebhookBody } from "@/lib/schemas/webhooks";

export const GET = withSession<{ id: string }>(["admin", "auditor"], async (_req, { params }) => json(toWebhookObject(await getEndpoint(params.id))));

/** Changes the URL, description, event types or enabled flag; the audit event records before and after. */
export const PATCH = withAdmin<{ id: string }>(async (req, { admin, params }) => {
  const b = await readBody(req, UpdateWebhookBody);
  const endpoint = await updateEndpoint({ id: params.id, url: b.url, description: b.description, eventTypes: b.event_types, enabled: b.enabled, actor: admin.actor });
  return json(toWebhookObject(endpoint));
});

/** Deletes the endpoint and its delivery history. */
export const DELETE = withAdmin<{ id: string }>(async (_req, { admin, params }) => {
  await deleteEndpoint({ id: params.id, actor: admin.actor });
  return new Response(null, { status: 204 });
});
