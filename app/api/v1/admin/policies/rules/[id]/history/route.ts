import { getRuleHistory } from "@/lib/policy/rules";
import { json } from "@/lib/http/body";
import { withSession } from "@/lib/http/with-session";
import { versionObjects } from "../../_lib/rule-json";

/** Every version of a rule, newest first: who saved it, when, and its definition. */
export const GET = withSession<{ id: string }>(["admin", "auditor"], async (_req, { params }) => {
  return json({ data: await versionObjects(await getRuleHistory({ ruleId: params.id })) });
});
