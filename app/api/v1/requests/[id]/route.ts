import { json, readQuery } from "@/lib/http/body";
import { withAgent } from "@/lib/http/with-agent";
import { getAgentRequest } from "@/lib/requests/get-request";
import { toRequestObject } from "@/lib/requests/serialize-request";
import { waitForRequest } from "@/lib/requests/wait-for-request";
import { WaitQuery } from "@/lib/schemas/requests";

export const GET = withAgent<{ id: string }>(async (req, { agent, params }) => {
  const { wait } = readQuery(req, WaitQuery);
  const request = await waitForRequest({
    requestId: params.id,
    read: () => getAgentRequest(agent.id, params.id),
    waitSeconds: wait,
    signal: req.signal,
  });
  return json(await toRequestObject(request, { forAgentId: agent.id }));
});
