import { AppError } from "@/lib/errors";
import { json, readBody } from "@/lib/http/body";
import { withAdmin } from "@/lib/http/with-admin";
import type { PolicyRuleDefinition } from "@/lib/policy/policy-document";
import { simulateRule } from "@/lib/policy/simulate";
import { SimulateBody } from "@/lib/schemas/policy";

/** Which rule a sample and the last N requests match now, and with the draft in place. Changes nothing. */
export const POST = withAdmin(async (req) => {
  const b = await readBody(req, SimulateBody);
  const a = b.sample?.agent;
  try {
    const results = await simulateRule({
      draft: b.rule as PolicyRuleDefinition,
      position: b.position,
      sample: b.sample && {
        ...b.sample,
        agent: a && { id: a.id, name: a.name, tags: a.tags, trustLevel: a.trust_level, ownerEmail: a.owner },
      },
      lastN: b.last_n,
    });
    return json({ data: results });
  } catch (err) {
    if (err instanceof AppError && err.errors) throw new AppError(err.code, err.message, { errors: err.errors.map((e) => ({ ...e, path: `rule.${e.path}` })) });
    throw err;
  }
});
