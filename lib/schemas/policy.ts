import { PolicyDefaults, PolicyRuleDefinition } from "../policy/policy-document.ts";
import { anyObject } from "./json.ts";
import { RiskFlag } from "./risk.ts";
import { z } from "./zod.ts";

// The policy console's API (rules one at a time, simulation, import results),
// beside the policy file's own schemas in lib/policy/policy-document.ts.

/** `?position=N` (0-based) where a new rule goes; last when omitted. */
export const PositionQuery = z.strictObject({ position: z.coerce.number().int().min(0).max(10_000).optional() });

export const MoveBody = z
  .union([z.strictObject({ direction: z.enum(["up", "down"]) }), z.strictObject({ position: z.number().int().min(0).max(10_000) })])
  .openapi("MoveRule", { description: "One place up or down, or to a 0-based position." });

export const SimulateBody = z.strictObject({
  /** The draft rule definition (checked like a save, errors under `rule.`). */
  rule: z.unknown(),
  position: z.number().int().min(0).max(10_000).optional(),
  sample: z
    .strictObject({
      action: z.string().min(1).max(128),
      resource: z.string().max(512).nullable().optional(),
      params: anyObject.optional(),
      context: anyObject.optional(),
      agent: z
        .strictObject({
          id: z.string().max(64).optional(),
          name: z.string().max(64).optional(),
          tags: z.array(z.string().max(64)).max(100).optional(),
          trust_level: z.string().max(32).optional(),
          owner: z.string().max(320).nullable().optional(),
        })
        .optional(),
      risk: z
        .strictObject({ flags: z.array(RiskFlag.shape.code).max(20), score: z.number().int().min(0).max(100).optional() })
        .optional()
        .openapi({
          description: "The sample's risk signals, for conditions on `risk`; omitted, the sample counts as not assessed (conditions on `risk` fail closed).",
        }),
    })
    .optional(),
  last_n: z.number().int().min(0).max(500).optional(),
});

const timestamp = z.string().openapi({ format: "date-time", example: "2026-11-23T04:00:00.000Z" });

export const RuleObject = z
  .object({
    id: z.string().openapi({ example: "pol_01jb7y8m2q3w4e5r6t7y8u9i0p" }),
    name: z.string(),
    position: z.number().int().openapi({ description: "0-based place in evaluation order." }),
    enabled: z.boolean(),
    version: z.number().int().openapi({ description: "Bumped by every saved change to the definition; requests record the version that decided them." }),
    definition: PolicyRuleDefinition,
    updated_at: timestamp,
    updated_by: z.string().openapi({ description: "Who saved the current version: an email, `admin token <name>`, or an actor id." }),
    shadow_hits: z
      .object({
        count: z.number().int().openapi({ description: "Requests this version matched (counting stops at 100000: then `capped`)." }),
        capped: z.boolean(),
        last_hit_at: timestamp.nullable(),
      })
      .nullable()
      .openapi({ description: "For a shadow rule: how often its current version matched, and when last; null for an enforced rule." }),
  })
  .openapi("Rule");
export type RuleObject = z.infer<typeof RuleObject>;

export const RuleList = z.object({ data: z.array(RuleObject), default: PolicyDefaults }).openapi("RuleList");
export type RuleList = z.infer<typeof RuleList>;
export const RuleOrder = z.object({ data: z.array(RuleObject) }).openapi("RuleOrder", { description: "Every rule, in the new evaluation order." });
export type RuleOrder = z.infer<typeof RuleOrder>;

export const RuleVersionObject = z
  .object({
    version: z.number().int(),
    definition: PolicyRuleDefinition.omit({ enabled: true }).openapi({
      description: "The definition as saved; `enabled` is the rule's switch, not part of a version.",
    }),
    created_by: z.string(),
    created_at: timestamp,
  })
  .openapi("RuleVersion");
export type RuleVersionObject = z.infer<typeof RuleVersionObject>;

export const RuleHistory = z.object({ data: z.array(RuleVersionObject) }).openapi("RuleHistory");
export type RuleHistory = z.infer<typeof RuleHistory>;

export const ProposedRuleObject = z
  .object({
    rule: PolicyRuleDefinition,
    bounds: z
      .array(z.object({ param: z.string(), condition: z.string(), seen: z.number().int() }))
      .openapi({ description: "Each bounded param with its CEL, and how many decisions' values it covers." }),
    unbounded: z.array(z.string()).openapi({ description: "Params no condition bounds (nested values, mixed types, too many distinct strings)." }),
    based_on: z.number().int().openapi({ description: "How many decisions (this one included) the bounds cover." }),
  })
  .openapi("ProposedRule", {
    description:
      "A rule for this agent and this exact action, with the decision's effect (approved: `allow`, denied: `deny`) and a condition that bounds the params seen, in shadow mode. Not saved.",
  });

export type ProposedRule = z.infer<typeof ProposedRuleObject>;

export const ImportResult = z
  .object({
    dry_run: z.boolean(),
    added: z.array(z.string()),
    changed: z.array(z.string()),
    removed: z.array(z.string()),
    unchanged: z.array(z.string()),
    default_changed: z.boolean(),
  })
  .openapi("PolicyImportResult", { description: "Rule names by what the import did (or, with `dry_run`, would do)." });
export type ImportResult = z.infer<typeof ImportResult>;

const Effect = z.enum(["allow", "deny", "require_approval"]);
export const ConditionError = z
  .object({
    rule_id: z.string(),
    rule_name: z.string(),
    rule_version: z.number().int(),
    error: z.string(),
    treated_as: z
      .enum(["match", "no_match"])
      .openapi({ description: "A condition error fails closed: a match, except for an `allow` rule, where it is no match." }),
  })
  .openapi("ConditionError", { description: "A rule whose condition errored at evaluation." });

export const ShadowMatch = z
  .object({
    rule: z.string().openapi({ description: "The shadow rule's name." }),
    rule_id: z.string(),
    version: z.number().int().openapi({ description: "The rule version that matched." }),
    effect: Effect.openapi({ description: "What the rule would have done, had it been enforced." }),
    condition_error: z
      .string()
      .optional()
      .openapi({ description: "The condition errored; it counted as a match, as it would (failing closed) when enforced." }),
  })
  .openapi("ShadowMatch", { description: "A shadow rule (`mode: shadow`) that matched the request. It changed nothing." });
export type ShadowMatch = z.infer<typeof ShadowMatch>;

const MatchedRule = z.object({
  rule_id: z.string(),
  rule_name: z.string(),
  effect: Effect,
  reason: z.string().nullable().openapi({ description: "A deny's reason." }),
  approvals_required: z.number().int(),
  reviewer_groups: z.array(z.string()),
  reason_required_to_approve: z.boolean(),
  owner_may_decide: z.boolean(),
  reviewers_may_edit: z.array(z.string()).openapi({ description: "Top-level params reviewers may amend before approving." }),
  wait_seconds: z.number().int(),
  grant_ttl_seconds: z.number().int(),
  audience: z.string(),
  condition_errors: z.array(ConditionError).openapi({ description: "Conditions that errored while the rules were tried, in order." }),
});

const HandlingChange = z.enum([
  "effect",
  "reason",
  "approvals_required",
  "reviewer_groups",
  "reason_required_to_approve",
  "owner_may_decide",
  "reviewers_may_edit",
  "wait_seconds",
  "grant_ttl_seconds",
  "audience",
]);

export const SimulatedOutcome = z
  .object({
    source: z.string().openapi({ description: "`sample`, or the id of a real request." }),
    action: z.string(),
    agent_name: z.string(),
    current: MatchedRule,
    with_draft: MatchedRule,
    draft_matches: z.boolean().openapi({ description: "The draft decides this request." }),
    effect_changed: z.boolean(),
    handling_changed: z.boolean().openapi({ description: "Anything in how the request is handled changes (see `changes`)." }),
    changes: z.array(HandlingChange).openapi({
      description:
        "What changes: `effect`, or the settings that apply to the effect (for `require_approval` the approvals, reviewer groups, reason and owner rules, wait, grant TTL and audience; for `allow` the grant TTL and audience; for `deny` the reason).",
    }),
    draft_condition_error: z
      .object({ error: z.string(), treated_as: z.enum(["match", "no_match"]) })
      .nullable()
      .openapi({ description: "The draft's condition errored on this request (its actions and agents select it), wherever the draft sits." }),
  })
  .openapi("SimulatedOutcome");
export type SimulatedOutcome = z.infer<typeof SimulatedOutcome>;

export const SimulationResult = z.object({ data: z.array(SimulatedOutcome) }).openapi("SimulationResult");
export type SimulationResult = z.infer<typeof SimulationResult>;
