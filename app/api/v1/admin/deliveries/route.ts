import { listDeliveries } from "@/lib/delivery/deliveries";
import { toDeliveryObject } from "@/lib/delivery/views";
import { json, readQuery } from "@/lib/http/body";
import { withSession } from "@/lib/http/with-session";
import { DeliveryQuery } from "@/lib/schemas/webhooks";

/** Delivery history (webhooks and callbacks), newest first. Auditors may read. */
export const GET = withSession(["admin", "auditor"], async (req) => {
  const q = readQuery(req, DeliveryQuery);
  const limit = q.limit ?? 50;
  const rows = await listDeliveries({ endpointId: q.endpoint_id, agentId: q.agent_id, status: q.status, limit, before: q.cursor });
  return json({ data: rows.map(toDeliveryObject), next_cursor: rows.length === limit ? rows[rows.length - 1].id : null });
});
