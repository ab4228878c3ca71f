import { json, readBody } from "@/lib/http/body";
import { withSession } from "@/lib/http/with-session";
import { decideRequest } from "@/lib/requests/decide-request";
import { toRequestObject } from "@/lib/requests/serialize-request";
import { DecisionBody } from "@/lib/schemas/requests";

export const POST = withSession<{ id: string }>(["admin", "reviewer"], async (req, { user, params }) => {
  const body = await readBody(req, DecisionBody);
  const request = await decideRequest({ requestId: params.id, reviewer: user, decision: body.decision, reason: body.reason });
  return json(await toRequestObject(request));
});
