import { deleteRule, updateRule } from "@/lib/policy/rules";
import { json, readJson } from "@/lib/http/body";
import { withAdmin } from "@/lib/http/with-admin";
import { withSession } from "@/lib/http/with-session";
import { ruleObject } from "../_lib/rule-json";

export const GET = withSession<{ id: string }>(["admin", "auditor"], async (_req, { params }) => json(await ruleObject(params.id)));

/** Saves an edit as a new version (the body is the whole rule definition); an unchanged definition keeps the version. */
export const PUT = withAdmin<{ id: string }>(async (req, { admin, params }) => {
  await updateRule({ ruleId: params.id, definition: await readJson(req), actor: admin.actor });
  return json(await ruleObject(params.id));
});

/** Takes the rule out of evaluation; its versions stay, since decided requests point at them. */
export const DELETE = withAdmin<{ id: string }>(async (_req, { admin, params }) => {
  await deleteRule({ ruleId: params.id, actor: admin.actor });
  return new Response(null, { status: 204, headers: { "cache-control": "no-store" } });
});
