import { z } from "zod";
import { MAX_WAIT_LIMIT_SECONDS } from "./config.ts";

// The same limits as the HTTP API (API.md, POST /api/v1/requests), so a bad
// argument is refused by the tool's input schema, before any network call,
// with a message the model can act on. The descriptions are read by models.

const action = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[a-z0-9][a-z0-9_.:-]*$/, "must be lowercase letters, digits and _ . : - (for example payments.refund)");

const params = z.record(z.string(), z.unknown());

const context = z
  .strictObject({
    task_id: z.string().max(256).optional().describe("The task, ticket or workflow this belongs to"),
    on_behalf_of: z.string().max(320).optional().describe("The person you act for (e.g. their email)"),
    delegation_chain: z.array(z.string().max(128)).max(32).optional().describe("Agents that delegated this to you, outermost first"),
    confidence: z.number().min(0).max(1).optional().describe("Your confidence that this action is right, 0 to 1"),
    environment: z
      .record(z.string().max(64), z.union([z.string().max(256), z.number(), z.boolean(), z.null()]))
      .optional()
      .describe('Facts about where you run, e.g. {"name": "production"}'),
    labels: z.record(z.string().max(64), z.string().max(256)).optional().describe("Free-form string labels for the reviewers"),
  })
  .describe("Who and what this request is for; every field is optional");

const waitSeconds = (max: number) =>
  z
    .number()
    .int()
    .min(0)
    .max(MAX_WAIT_LIMIT_SECONDS)
    .optional()
    .describe(`How long to wait for the decision in this call, in seconds (default and maximum ${max}; larger values are capped)`);

export function requestApprovalInput(maxWait: number) {
  return z.strictObject({
    action: action.describe("The action you want to perform, as a dotted lowercase name your operator's policy uses, e.g. payments.refund, github.merge"),
    summary: z
      .string()
      .min(1)
      .max(500)
      .describe(
        'One line a busy reviewer can judge at a glance: what, to what or whom, how much (e.g. "Refund $500 to customer cus_123 for a duplicate charge")',
      ),
    resource: z.string().max(256).optional().describe("What the action acts on, e.g. customer:cus_123 or repo:acme/api#42"),
    params: params.optional().describe("The exact arguments you will execute with. The approval is bound to them: you must later act with exactly these"),
    justification: z.string().max(4000).optional().describe("Why this is needed: the user's instruction, ticket, evidence. Reviewers read it; no secrets"),
    context: context.optional(),
    wait_seconds: waitSeconds(maxWait),
    idempotency_key: z
      .string()
      .min(1)
      .max(255)
      .optional()
      .describe(
        "Optional. Calls with the same key return the same request. Without it, repeating identical arguments in this session returns the open request",
      ),
  });
}

export function checkApprovalInput(maxWait: number) {
  return z.strictObject({
    request_id: z.string().min(1).max(100).describe("The request_id returned by request_approval (req_…)"),
    wait_seconds: waitSeconds(maxWait),
  });
}

export const redeemGrantInput = z.strictObject({
  token: z.string().min(1).max(8192).describe("The grant token from an approved request"),
  action: action.describe("The action you are about to perform; must be the approved one"),
  params: params.describe("The exact arguments you are about to execute with; must equal the approved params ({} if none)"),
});

export const reportOutcomeInput = z.strictObject({
  request_id: z.string().min(1).max(100).describe("The request_id of the approved request you acted on"),
  status: z.enum(["succeeded", "failed"]).describe("Whether the action actually succeeded"),
  detail: z.string().max(4000).optional().describe("What happened, factually: IDs created, error messages"),
});

const nextStep = z.string().describe("What to do now");

export const approvalOutput = z.object({
  status: z.enum(["approved", "denied", "expired", "cancelled", "pending"]),
  request_id: z.string(),
  action: z.string(),
  resource: z.string().nullable(),
  summary: z.string(),
  decided_by: z.array(z.string()).describe("Reviewers who approved, or who/what decided"),
  reason: z.string().nullable().describe("The decision's reason, if any"),
  request_expires_at: z.string().describe("Until when a pending request can still be decided"),
  params: params.describe("The params as they stand: once approved, exactly what you must redeem and act with"),
  amended: z.boolean().describe("A reviewer changed the params before approving: act with `params`, not what you asked for"),
  original_params: params.nullable().describe("What you asked for, when a reviewer amended it; null otherwise"),
  amended_by: z.string().nullable().describe("The reviewer who amended the params; null otherwise"),
  grant: z
    .object({
      id: z.string(),
      token: z.string().nullable().describe("Single-use token; null once redeemed or expired"),
      expires_at: z.string(),
      redeemed_at: z.string().nullable(),
    })
    .nullable(),
  next_step: nextStep,
});
export type ApprovalOutput = z.infer<typeof approvalOutput>;

export const redemptionOutput = z.object({
  grant_id: z.string(),
  request_id: z.string(),
  agent_id: z.string(),
  action: z.string(),
  resource: z.string().nullable(),
  params: params,
  redeemed_at: z.string(),
  next_step: nextStep,
});
export type RedemptionOutput = z.infer<typeof redemptionOutput>;

export const outcomeOutput = z.object({
  request_id: z.string(),
  outcome: z.object({ status: z.enum(["succeeded", "failed"]), detail: z.string().nullable(), at: z.string() }),
});
export type OutcomeOutput = z.infer<typeof outcomeOutput>;
