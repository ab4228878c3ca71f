import { json, readBody } from "@/lib/http/body";
import { withAgent } from "@/lib/http/with-agent";
import { reportOutcome } from "@/lib/requests/report-outcome";
import { toRequestObject } from "@/lib/requests/serialize-request";
import { OutcomeBody } from "@/lib/schemas/requests";

export const POST = withAgent<{ id: string }>(async (req, { agent, params }) => {
  const body = await readBody(req, OutcomeBody);
  const request = await reportOutcome({ agentId: agent.id, requestId: params.id, status: body.status, detail: body.detail });
  return json(await toRequestObject(request, { forAgentId: agent.id }));
});
