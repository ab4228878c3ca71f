import { json, readBody } from "@/lib/http/body";
import { withPublic } from "@/lib/http/with-agent";
import { redeemGrant } from "@/lib/grants/redeem-grant";
import { RedeemBody } from "@/lib/schemas/requests";

export const POST = withPublic(async (req) => {
  const body = await readBody(req, RedeemBody);
  const g = await redeemGrant({ token: body.token, action: body.action, params: body.params });
  return json({
    grant_id: g.grantId,
    request_id: g.requestId,
    agent_id: g.agentId,
    action: g.action,
    resource: g.resource,
    params: g.params,
    redeemed_at: g.redeemedAt.toISOString(),
  });
});
