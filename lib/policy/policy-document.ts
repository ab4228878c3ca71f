import { ACTION_SEVERITIES, SEVERITY_PATTERN } from "../risk/action-severity.ts";
import { z } from "../schemas/zod.ts";

/**
 * The policy file (API.md, "Policy file"): what `countersign policies
 * export` writes, `import` reads and the admin API exchanges, and what each
 * rule version stores. Omitted fields take the document's defaults.
 */

export const RULE_NAME = /^[a-z0-9][a-z0-9_-]*$/;
export const ACTION_GLOB = /^(\*|[a-z0-9][a-z0-9_.:-]*(\.\*)?)$/;

const seconds = (max: number) => z.number().int().min(1).max(max);

export const PolicyDefaults = z
  .strictObject({
    effect: z.literal("require_approval").default("require_approval"),
    approvals_required: z.number().int().min(1).max(10).default(1),
    wait_seconds: seconds(30 * 24 * 3600).default(900),
    grant_ttl_seconds: seconds(24 * 3600).default(300),
  })
  .openapi("PolicyDefaults", { description: "What applies when no rule matches: always `require_approval` (the engine fails closed)." });
export type PolicyDefaults = z.infer<typeof PolicyDefaults>;

export const PolicyRuleDefinition = z
  .strictObject({
    name: z.string().min(1).max(64).regex(RULE_NAME, "must match ^[a-z0-9][a-z0-9_-]*$"),
    description: z.string().max(1000).optional(),
    enabled: z.boolean().default(true),
    /** `shadow`: evaluated for every request and its matches recorded, but it never changes an outcome (API 1.1). */
    mode: z.enum(["enforce", "shadow"]).optional().openapi({ description: "`enforce` (the default) or `shadow`." }),
    actions: z.array(z.string().max(128).regex(ACTION_GLOB, "an action, a prefix ending in .*, or *")).min(1).max(100),
    agents: z.strictObject({ names: z.array(z.string().max(64)).max(100).optional(), tags: z.array(z.string().max(64)).max(100).optional() }).optional(),
    condition: z.string().max(4000).optional(),
    effect: z.enum(["allow", "deny", "require_approval"]),
    /** `deny`: shown to the agent. */
    reason: z.string().max(1000).optional(),
    reviewers: z.strictObject({ groups: z.array(z.string().max(64)).min(1).max(50) }).optional(),
    approvals_required: z.number().int().min(1).max(10).optional(),
    reason_required_to_approve: z.boolean().optional(),
    owner_may_decide: z.boolean().optional(),
    /** Top-level params a reviewer may change before approving (API 1.1, "amend on approve"); none when omitted. */
    reviewers_may_edit: z
      .array(z.string().min(1).max(256))
      .max(100)
      .refine((names) => new Set(names).size === names.length, "names must be unique")
      .optional(),
    /** false: reviewers decide on the dashboard only; chat (Slack) messages link there instead of offering buttons. */
    chat_approval: z.boolean().optional(),
    wait_seconds: seconds(30 * 24 * 3600).optional(),
    grant_ttl_seconds: seconds(24 * 3600).optional(),
    /** The grant's `aud`; "countersign" when omitted. */
    audience: z.string().min(1).max(128).optional(),
  })
  .openapi("PolicyRule", {
    description:
      "A rule, as in the policy file. `actions` are exact names, prefixes ending in `.*`, or `*`; `condition` is CEL over `action`, `resource`, `params`, `context`, `agent` (`id`, `name`, `tags`, `trust_level`, `owner`) and `now`, and may read the agent's approved requests with `history.count(pattern, window)` and `history.sum(pattern, name, window)` (literal arguments; windows 1m to 744h, counted in 5-minute buckets). Omitted settings take the default's. A rule with `mode: shadow` never changes an outcome: it is tried on every request and its matches are recorded (`shadow_matches`) until it is promoted to `enforce`.",
  });
export type PolicyRuleDefinition = z.infer<typeof PolicyRuleDefinition>;

export const ActionSeverityRule = z
  .strictObject({
    pattern: z
      .string()
      .min(1)
      .max(128)
      .regex(SEVERITY_PATTERN, "an action name; * stands for any characters")
      .openapi({ description: "An action, or a pattern where `*` stands for any characters: `db.drop_*`, `payments.*`.", example: "db.drop_*" }),
    severity: z.enum(ACTION_SEVERITIES),
  })
  .openapi("ActionSeverityRule");

export const ActionSeverityList = z
  .array(ActionSeverityRule)
  .max(200)
  .superRefine((rules, ctx) => {
    const seen = new Set<string>();
    rules.forEach((r, i) => {
      if (seen.has(r.pattern)) ctx.addIssue({ code: "custom", path: [i, "pattern"], message: `duplicate pattern ${r.pattern}` });
      seen.add(r.pattern);
    });
  })
  // No description here: a registered schema with one is referenced through `allOf`, which the API reference's validator refuses.
  .openapi("ActionSeverityList");

export const PolicyDocument = z
  .strictObject({
    version: z.literal(1),
    default: PolicyDefaults.default({ effect: "require_approval", approvals_required: 1, wait_seconds: 900, grant_ttl_seconds: 300 }),
    rules: z
      .array(PolicyRuleDefinition)
      .max(1000)
      .default([])
      .superRefine((rules, ctx) => {
        const seen = new Set<string>();
        rules.forEach((r, i) => {
          if (seen.has(r.name)) ctx.addIssue({ code: "custom", path: [i, "name"], message: `duplicate rule name ${r.name}` });
          seen.add(r.name);
        });
      }),
    /** Absent: an import leaves the severities as they are. */
    action_severity: ActionSeverityList.optional().openapi({
      description: "What is at stake per action pattern (feeds the risk score). Omitted: an import leaves the current list as it is.",
    }),
  })
  .openapi("PolicyDocument", { description: "The policy file: the default and the rules in evaluation order (the first rule that matches decides)." });
export type PolicyDocument = z.infer<typeof PolicyDocument>;
