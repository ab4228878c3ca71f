import { setRuleEnabled } from "@/lib/policy/rules";
import { json } from "@/lib/http/body";
import { withAdmin } from "@/lib/http/with-admin";
import { ruleObject } from "../../_lib/rule-json";

/** Keeps the rule but skips it in evaluation. No new version: the switch is not part of the definition. */
export const POST = withAdmin<{ id: string }>(async (_req, { admin, params }) => {
  await setRuleEnabled({ ruleId: params.id, enabled: false, actor: admin.actor });
  return json(await ruleObject(params.id));
});
