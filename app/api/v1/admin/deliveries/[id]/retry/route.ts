import { retryDelivery } from "@/lib/delivery/deliveries";
import { wakeDelivery } from "@/lib/delivery/runtime";
import { toDeliveryObject } from "@/lib/delivery/views";
import { json } from "@/lib/http/body";
import { withAdmin } from "@/lib/http/with-admin";

/** Queues a failed or dead delivery for one more attempt now, with the same webhook-id. */
export const POST = withAdmin<{ id: string }>(async (_req, { admin, params }) => {
  const delivery = await retryDelivery({ id: params.id, actor: admin.actor });
  wakeDelivery();
  return json(toDeliveryObject(delivery), { status: 202 });
});
