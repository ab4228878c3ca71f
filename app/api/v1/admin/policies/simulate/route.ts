import { AppError } from "@/lib/errors";
import { json, readBody } from "@/lib/http/body";
import { withAdmin } from "@/lib/http/with-admin";
import type { PolicyRuleDefinition } from "@/lib/policy/policy-document";
import { simulateRule } from "@/lib/policy/simulate";
import { z } from "@/lib/schemas/zod";

const record = z.record(z.string(), z.unknown());

const SimulateBody = z.strictObject({
  /** The draft rule definition (checked like a save, errors under `rule.`). */
  rule: z.unknown(),
  position: z.number().int().min(0).max(10_000).optional(),
  sample: z
    .strictObject({
      action: z.string().min(1).max(128),
      resource: z.string().max(512).nullable().optional(),
      params: record.optional(),
      context: record.optional(),
      agent: z
        .strictObject({
          id: z.string().max(64).optional(),
          name: z.string().max(64).optional(),
          tags: z.array(z.string().max(64)).max(100).optional(),
          trust_level: z.string().max(32).optional(),
          owner: z.string().max(320).nullable().optional(),
        })
        .optional(),
    })
    .optional(),
  last_n: z.number().int().min(0).max(500).optional(),
});

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
