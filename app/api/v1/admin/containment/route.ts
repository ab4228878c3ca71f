import { ContainmentSettings } from "@/lib/containment/rules";
import { readContainment, setContainment } from "@/lib/containment/settings";
import { toContainmentView } from "@/lib/containment/view";
import { json, readBody } from "@/lib/http/body";
import { withAdmin } from "@/lib/http/with-admin";

/** Automatic containment rules (off until an admin sets one). Auditors may read. */
export const GET = withAdmin(async () => json(toContainmentView(await readContainment())), { roles: ["admin", "auditor"] });

/** Replaces the rules; audit-logged as `settings.containment_changed` with before and after. */
export const PUT = withAdmin(async (req, { admin }) => {
  const settings = await readBody(req, ContainmentSettings);
  return json(toContainmentView(await setContainment({ settings, actor: admin.actor })));
});
