import { json } from "@/lib/http/body";
import { withAgent } from "@/lib/http/with-agent";
import { cancelRequest } from "@/lib/requests/cancel-request";
import { toRequestObject } from "@/lib/requests/serialize-request";

export const POST = withAgent<{ id: string }>(async (_req, { agent, params }) => {
  const request = await cancelRequest(agent.id, params.id);
  return json(await toRequestObject(request, { forAgentId: agent.id }));
});
