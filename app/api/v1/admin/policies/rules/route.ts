import { getPolicyDefaults, createRule } from "@/lib/policy/rules";
import { json, readJson, readQuery } from "@/lib/http/body";
import { withAdmin } from "@/lib/http/with-admin";
import { withSession } from "@/lib/http/with-session";
import { PositionQuery } from "@/lib/schemas/policy";
import { ruleObject, ruleObjects } from "./_lib/rule-json";

/** Rules in evaluation order, and the default that applies when none matches. Auditors may read. */
export const GET = withSession(["admin", "auditor"], async () => {
  const [rules, defaults] = await Promise.all([ruleObjects(), getPolicyDefaults()]);
  return json({ data: rules, default: defaults });
});

/** Adds a rule (the body is a rule definition, as in the policy file); `?position=N` places it, else it goes last. */
export const POST = withAdmin(async (req, { admin }) => {
  const { position } = readQuery(req, PositionQuery);
  const { ruleId } = await createRule({ definition: await readJson(req), position, actor: admin.actor });
  return json(await ruleObject(ruleId), { status: 201 });
});
