import { EXAMPLE_CONTEXT } from "./examples.ts";
import { anyObject, jsonObject, text } from "./json.ts";
import { z } from "./zod.ts";

export const ACTION_PATTERN = /^[a-z0-9][a-z0-9_.:-]*$/;

export const RequestStatus = z.enum(["pending", "approved", "denied", "expired", "cancelled"]).openapi("RequestStatus");
export type RequestStatus = z.infer<typeof RequestStatus>;

// One type list rather than anyOf: the same meaning (maxLength applies to strings only), and simpler for renderers.
const scalar = z.union([text(256), z.number(), z.boolean(), z.null()]).openapi({ type: ["string", "number", "boolean", "null"], maxLength: 256 });

export const RequestContext = z
  .strictObject({
    task_id: text(256).optional(),
    on_behalf_of: text(320).optional(),
    delegation_chain: z.array(text(128)).max(32).optional(),
    confidence: z.number().min(0).max(1).optional(),
    environment: z
      .record(text(64), scalar)
      .refine((o) => Object.keys(o).length <= 32, "at most 32 keys")
      .optional(),
    labels: z
      .record(text(64), text(256))
      .refine((o) => Object.keys(o).length <= 50, "at most 50 labels")
      .optional(),
    // Set by `countersign mcp-proxy`: which MCP server and tool the call was for (the tool's own name, before mapping to an action).
    mcp: z
      .strictObject({ server: text(64, 1), tool: text(128, 1) })
      .optional()
      .openapi({ description: "The MCP server (its `--name`) and tool a call through `countersign mcp-proxy` was for." }),
  })
  .openapi("RequestContext", {
    example: EXAMPLE_CONTEXT,
  });

export const IdempotencyKey = text(255, 1);

export const CreateRequestBody = z
  .strictObject({
    action: z
      .string()
      .min(1)
      .max(128)
      .regex(ACTION_PATTERN, "must match ^[a-z0-9][a-z0-9_.:-]*$")
      .openapi({ description: "What the agent wants to do, as a dotted name rules can match (`payments.refund`, `payments.*`)." }),
    resource: text(256).optional().openapi({ description: "What it acts on, for reviewers and rules." }),
    params: jsonObject.optional().openapi({ description: "The action's parameters: what the executor will run. The grant binds their hash. Default `{}`." }),
    summary: text(500, 1).openapi({ description: "One line a reviewer reads first." }),
    justification: text(4000).optional().openapi({ description: "Why, in the agent's words." }),
    context: RequestContext.optional(),
    expires_in: z
      .number()
      .int()
      .min(1)
      .optional()
      .openapi({ description: "Seconds to wait for a decision, at most the matching rule's `wait_seconds` (its default)." }),
    callback_url: z
      .url({ protocol: /^https?$/ })
      .max(2048)
      .optional()
      .openapi({
        description:
          "Receives `request.decided` (Standard Webhooks, signed with the agent's callback secret). https to a public address; loopback and private addresses only where the admin set COUNTERSIGN_ALLOW_PRIVATE_CALLBACKS; link-local and metadata addresses never. Redirects are not followed.",
      }),
    idempotency_key: IdempotencyKey.optional().openapi({ description: "Makes retries safe; the same as the `Idempotency-Key` header." }),
  })
  .openapi("CreateRequest", {
    example: {
      action: "payments.refund",
      resource: "customer:cus_123",
      params: { amount: 500, currency: "USD" },
      summary: "Refund $500 to customer cus_123 for a duplicate charge",
      justification: "Ticket #4521: charged twice on 2026-11-20",
      context: { on_behalf_of: "alice@example.com", confidence: 0.82 },
      expires_in: 900,
      idempotency_key: "ticket-4521-refund-1",
    },
  });
export type CreateRequestBody = z.infer<typeof CreateRequestBody>;

export const PolicyRef = z
  .object({
    id: z.string(),
    name: z.string(),
    version: z.number().int(),
    effect: z.enum(["allow", "deny", "require_approval"]),
    approvals_required: z.number().int(),
  })
  .openapi("PolicyRef", { description: "The rule (and its version) that decided how the request is handled." });

export const Approval = z.object({ reviewer: z.string(), reason: z.string().nullable(), at: z.string() }).openapi("Approval");

export const Decision = z
  .object({
    status: z.enum(["approved", "denied", "expired", "cancelled"]),
    by: z.string().openapi({ description: "`user:usr_…`, `policy:pol_…`, `system` or `agent`" }),
    reason: z.string().nullable(),
    at: z.string(),
  })
  .openapi("Decision", { description: "How the request ended; `null` while pending." });

export const GrantRef = z
  .object({
    id: z.string(),
    token: z.string().optional().openapi({ description: "Present only to the owning agent while the grant is unredeemed and unexpired" }),
    expires_at: z.string(),
    redeemed_at: z.string().nullable(),
  })
  .openapi("GrantRef", { description: "The single-use grant issued on approval; `null` otherwise." });

export const Outcome = z
  .object({ status: z.enum(["succeeded", "failed"]), detail: z.string().nullable(), at: z.string() })
  .openapi("Outcome", { description: "What the agent reported after executing; `null` until then." });

export const RequestObject = z
  .object({
    id: z.string().openapi({ example: "req_01jb7y8m2q3w4e5r6t7y8u9i0p" }),
    agent_id: z.string(),
    action: z.string(),
    resource: z.string().nullable(),
    params: anyObject,
    params_sha256: z.string().openapi({ description: "Hex SHA-256 of the RFC 8785 canonical JSON of `params`; the grant carries it." }),
    original_params: anyObject.nullable().openapi({
      description:
        "What the agent asked for, when a reviewer amended the params before approving (`params` then holds the amended params, which the grant binds and the executor must present); `null` when unamended.",
    }),
    original_params_sha256: z.string().nullable().openapi({ description: "Hex SHA-256 of `original_params`; `null` when unamended." }),
    amended_by: z.string().nullable().openapi({ description: "The email of the reviewer who amended the params; `null` when unamended." }),
    summary: z.string(),
    justification: z.string().nullable(),
    context: anyObject,
    status: RequestStatus,
    policy: PolicyRef,
    approvals: z.array(Approval),
    decision: Decision.nullable(),
    created_at: z.string(),
    expires_at: z.string().openapi({ description: "When a pending request expires without a decision." }),
    grant: GrantRef.nullable(),
    outcome: Outcome.nullable(),
  })
  .openapi("Request");
export type RequestObject = z.infer<typeof RequestObject>;

export const ListRequestsQuery = z.strictObject({
  status: RequestStatus.optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().max(200).optional(),
});

export const RequestList = z.object({ data: z.array(RequestObject), next_cursor: z.string().nullable() }).openapi("RequestList");

export const WaitQuery = z.strictObject({ wait: z.coerce.number().int().min(0).max(60).default(0) });

export const OutcomeBody = z
  .strictObject({ status: z.enum(["succeeded", "failed"]), detail: text(4000).optional() })
  .openapi("OutcomeReport", { example: { status: "succeeded", detail: "Refund re_123 created" } });

export const DecisionBody = z
  .strictObject({
    decision: z.enum(["approve", "deny"]),
    reason: text(2000).optional(),
    params: jsonObject.optional().openapi({
      description:
        "Only with `approve`: the whole amended params. Only the names the rule lists in `reviewers_may_edit` may change; a reason is then required, and the amended request must still be handled by the same rule. With `approvals_required` > 1 the edit becomes the proposal: approvals of other params stop counting.",
    }),
  })
  .openapi("DecisionBody", { example: { decision: "approve", reason: "Matches ticket #4521" } });
export type DecisionBody = z.infer<typeof DecisionBody>;

export const RedeemBody = z
  .strictObject({
    token: z.string().min(1).max(8192),
    action: z.string().max(128).optional(),
    params: jsonObject.optional(),
  })
  .openapi("RedeemGrant");

export const RedeemResult = z
  .object({
    grant_id: z.string(),
    request_id: z.string(),
    agent_id: z.string(),
    action: z.string(),
    resource: z.string().nullable(),
    params: anyObject,
    redeemed_at: z.string(),
  })
  .openapi("RedeemResult");

export const Problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.string(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .openapi("Problem");
export type Problem = z.infer<typeof Problem>;
