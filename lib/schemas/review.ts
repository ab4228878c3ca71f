import { ConditionError, ShadowMatch } from "./policy.ts";
import { Problem, RequestObject, RequestStatus } from "./requests.ts";
import { text } from "./json.ts";
import { RiskAssessment } from "./risk.ts";
import { z } from "./zod.ts";

export const ReviewListQuery = z.strictObject({
  status: z.union([RequestStatus, z.literal("decided")]).optional(),
  action: z.string().max(128).optional(),
  agent: z.string().max(64).optional().openapi({ description: "Only this agent's requests (by name)." }),
  from: z.iso.date().optional().openapi({ description: "Only requests created on or after this day (UTC), `YYYY-MM-DD`." }),
  to: z.iso.date().optional().openapi({ description: "Only requests created on or before this day (UTC), `YYYY-MM-DD`." }),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().max(200).optional(),
  sort: z
    .enum(["newest", "risk"])
    .default("newest")
    .openapi({ description: "`newest` first (the default), or highest `risk.score` first (newest first among equals)." }),
});
export type ReviewListQuery = z.infer<typeof ReviewListQuery>;

/** A request as a reviewer sees it (lib/requests/review-view.ts): never with a grant token. Flat, not `allOf` a Request, for simpler renderers. */
export const ReviewItem = z
  .object({
    ...RequestObject.shape,
    agent: z.object({
      id: z.string(),
      name: z.string(),
      description: z.string().nullable(),
      owner: z.string().nullable(),
      trust_level: z.string(),
      tags: z.array(z.string()),
    }),
    votes: z.array(
      z.object({
        reviewer: z.string(),
        decision: z.enum(["approve", "deny"]),
        reason: z.string().nullable(),
        at: z.string(),
        counts: z
          .boolean()
          .openapi({ description: "An approval of the params as they now stand: approvals of params a reviewer since amended no longer count." }),
      }),
    ),
    reviewers_may_edit: z.array(z.string()).openapi({ description: "The top-level params the rule lets reviewers amend before approving (empty: none)." }),
    reason_required_to_approve: z
      .boolean()
      .openapi({ description: "Whether the rule needs a reason to approve (a reason is always needed to deny), so a screen can say so before anyone clicks." }),
    decided_by: z
      .object({ name: z.string().nullable(), email: z.string() })
      .nullable()
      .openapi({ description: "The person whose vote decided the request (`decision.by` is `user:…`), by name and email; null otherwise." }),
    previous_approval: z
      .object({ id: z.string(), params: z.record(z.string(), z.unknown()), decided_at: z.string().nullable() })
      .nullable()
      .optional()
      .openapi({
        description:
          "On the single-request view only: the same agent's most recent approved request for the same action, created before this one, with the params it was approved with (null when there is none), so a screen can show what changed since.",
      }),
    can_decide: z.boolean().openapi({ description: "Whether the signed-in reviewer may vote now." }),
    cannot_decide_reason: z.string().nullable().openapi({ description: "Why not, when `can_decide` is false." }),
    risk: RiskAssessment.nullable().openapi({ description: "Risk signals; null for a request created before they were computed." }),
    shadow_matches: z
      .array(ShadowMatch)
      .openapi({ description: "Shadow rules that matched the request when it was created: what each would have done. They never change the outcome." }),
    condition_errors: z
      .array(ConditionError)
      .openapi({ description: "Rule conditions that errored when the request was evaluated, each treated as a match (for an `allow` rule: as no match)." }),
  })
  .openapi("ReviewRequest", { description: "A request with its agent, every vote, and whether the signed-in user may decide it." });
export type ReviewItem = z.infer<typeof ReviewItem>;

export const ReviewList = z.object({ data: z.array(ReviewItem), next_cursor: z.string().nullable() }).openapi("ReviewRequestList");
export type ReviewList = z.infer<typeof ReviewList>;

const preference = (what: string) => z.boolean().openapi({ description: `Email me ${what}.` });

/** A user's own email notification preferences (lib/notifications/preferences.ts). */
export const NotificationPreferences = z
  .object({
    email_new_requests: preference("when a request I may decide arrives"),
    email_reminders: preference("again when such a request is still undecided at the reminder point of its wait (`request.expiring`)"),
    email_escalations: preference("when a request is escalated to a group I am in"),
    email_agent_alerts: preference("when an agent I own is suspended, by an admin or by automatic containment"),
    email_enabled: z.boolean().openapi({ description: "Whether this server sends email at all (`COUNTERSIGN_SMTP_URL` is set). Read-only." }),
  })
  .openapi("NotificationPreferences", { description: "Which emails the signed-in user gets. Every kind is on until the user turns it off." });
export type NotificationPreferences = z.infer<typeof NotificationPreferences>;

export const NotificationPreferencesUpdate = z
  .strictObject({
    email_new_requests: z.boolean().optional(),
    email_reminders: z.boolean().optional(),
    email_escalations: z.boolean().optional(),
    email_agent_alerts: z.boolean().optional(),
  })
  .openapi("NotificationPreferencesUpdate", { description: "The preferences to change; the others keep their value." });
export type NotificationPreferencesUpdate = z.infer<typeof NotificationPreferencesUpdate>;

/** Batch decisions (API 1.1): one decision and reason for 1–100 requests; no edits in a batch. */
export const BatchDecisionBody = z
  .strictObject({
    ids: z.array(z.string().max(64)).min(1).max(100).openapi({
      description: "The requests to decide, 1 to 100, decided in this order. A repeated id is decided once; its repetition gets 409 like a second vote.",
    }),
    decision: z.enum(["approve", "deny"]),
    reason: text(2000).optional(),
  })
  .openapi("BatchDecisionBody");
export type BatchDecisionBody = z.infer<typeof BatchDecisionBody>;

export const BatchDecisionResult = z
  .object({
    id: z.string(),
    status: z.number().int().openapi({ description: "The HTTP status the single decision would have answered: 200, or the problem's status." }),
    // Plain references (no sibling description): the API reference's validator refuses `allOf` with a bare description.
    request: RequestObject.optional(),
    problem: Problem.optional(),
  })
  .openapi("BatchDecisionResult", {
    description:
      "One item of a batch: with status 200, `request` is the request after this vote; otherwise `problem` is what the single decision would have answered.",
  });

export const BatchDecisionResults = z.object({ results: z.array(BatchDecisionResult) }).openapi("BatchDecisionResults");
