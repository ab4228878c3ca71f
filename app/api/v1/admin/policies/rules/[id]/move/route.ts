import { moveRule } from "@/lib/policy/rules";
import { json, readBody } from "@/lib/http/body";
import { withAdmin } from "@/lib/http/with-admin";
import { MoveBody } from "@/lib/schemas/policy";
import { ruleObject, ruleObjects } from "../../_lib/rule-json";

/** Moves a rule one place (`{"direction":"up"}`) or to a 0-based position; answers the new order. */
export const POST = withAdmin<{ id: string }>(async (req, { admin, params }) => {
  const body = await readBody(req, MoveBody);
  const position = "position" in body ? body.position : (await ruleObject(params.id)).position + (body.direction === "up" ? -1 : 1);
  if (position >= 0) await moveRule({ ruleId: params.id, position, actor: admin.actor });
  return json({ data: await ruleObjects() });
});
