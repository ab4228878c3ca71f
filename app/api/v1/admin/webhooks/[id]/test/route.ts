import { sendTestEvent } from "@/lib/delivery/deliveries";
import { wakeDelivery } from "@/lib/delivery/runtime";
import { toDeliveryObject } from "@/lib/delivery/views";
import { json } from "@/lib/http/body";
import { withAdmin } from "@/lib/http/with-admin";

/** Queues a signed `webhook.test` event to the endpoint; follow it in the delivery history. */
export const POST = withAdmin<{ id: string }>(async (_req, { params }) => {
  const delivery = await sendTestEvent({ endpointId: params.id });
  wakeDelivery();
  return json(toDeliveryObject(delivery), { status: 202 });
});
