import { getPolicyDefaults, setPolicyDefault } from "@/lib/policy/rules";
import { json, readJson } from "@/lib/http/body";
import { withAdmin } from "@/lib/http/with-admin";
import { withSession } from "@/lib/http/with-session";

/** What applies when no rule matches: always require approval (fail closed), with these settings. */
export const GET = withSession(["admin", "auditor"], async () => json(await getPolicyDefaults()));

export const PUT = withAdmin(async (req, { admin }) => json(await setPolicyDefault({ defaults: await readJson(req), actor: admin.actor })));
