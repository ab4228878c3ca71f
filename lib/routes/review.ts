import "server-only";
import { deliveryConfig } from "../delivery/config.ts";
import { openReviewStream } from "../events/review-stream.ts";
import { json } from "../http/body.ts";
import { defineRoute } from "../http/define-route.ts";
import { getPreferences, updatePreferences } from "../notifications/preferences.ts";
import { errors, invalid, jsonContent, pathParams, roleForbidden, SIGNED_OUT, TOO_LARGE, UNAVAILABLE } from "../openapi/components.ts";
import * as ex from "../openapi/examples.ts";
import { decideRequest } from "../requests/decide-request.ts";
import { decideRequests } from "../requests/decide-requests.ts";
import { AppError } from "../errors.ts";
import { getForReviewer, listForReviewer } from "../requests/review-view.ts";
import { toRequestObject } from "../requests/serialize-request.ts";
import { DecisionBody, RequestObject } from "../schemas/requests.ts";
import {
  BatchDecisionBody,
  BatchDecisionResults,
  NotificationPreferences,
  NotificationPreferencesUpdate,
  ReviewItem,
  ReviewList,
  ReviewListQuery,
} from "../schemas/review.ts";
import { z } from "../schemas/zod.ts";

/*
 * The dashboard's endpoints for the people who decide: the queue, a request
 * as a reviewer sees it, the vote, live updates and their own email
 * preferences. All take the sign-in session.
 */

const tags = ["Reviewer"];
const SIGNED_IN = { session: ["admin", "reviewer", "auditor"] } as const;
const requestId = pathParams({ id: { description: "The request's id (`req_…`).", example: ex.IDS.request } });
const NOT_FOUND = {
  code: "not_found" as const,
  when: "No such request, or one you may not see (a reviewer sees the requests of their groups' rules and of rules open to any reviewer).",
  detail: "no such request",
};
const PREFERENCES = { email_new_requests: true, email_reminders: true, email_escalations: false, email_agent_alerts: true, email_enabled: true };

const decideRequestRoute = defineRoute({
  method: "POST",
  path: "/api/v1/requests/{id}/decisions",
  access: { session: ["admin", "reviewer"] },
  body: DecisionBody,
  docs: {
    operationId: "decideRequest",
    summary: "Approve or deny",
    description: `Casts the signed-in reviewer's vote. One denial denies the request; approvals count until the rule's \`approvals_required\` distinct reviewers have approved, and then the grant is issued and the waiting agent wakes.

Separation of duties is enforced here: nobody decides a request made on their own behalf (\`context.on_behalf_of\`), or, unless the rule allows it, one from an agent they own; when the rule names reviewer groups, only their members decide; auditors never do. A reason is required to deny, and to approve when the rule says so.

**Amend on approve.** With \`decision: "approve"\`, \`params\` may carry the whole amended params: only the top-level names the rule lists in \`reviewers_may_edit\` may change (422 \`edit_not_allowed\` names the others), a reason is required, and the amended request is evaluated by policy again (422 \`edit_changes_policy\` when another rule, effect or number of approvals would handle it). The request then carries the amended \`params\` and \`params_sha256\` (what the grant binds and the executor must present), \`original_params\`, \`original_params_sha256\` and \`amended_by\`. With \`approvals_required\` > 1 the edit becomes the proposal: approvals of other params stop counting, and that many approvals of the amended params are needed. Params sent equal to the current ones are a plain approval.`,
    tags,
    request: {
      params: requestId,
      bodyExamples: {
        approve: { value: { decision: "approve", reason: "Matches ticket #4521" } },
        deny: { value: { decision: "deny", reason: "The customer was refunded already on 2026-11-21" } },
        amend: { value: { decision: "approve", reason: "The duplicate charge was 450, not 500", params: ex.REQUEST_APPROVED_AMENDED.params } },
      },
    },
    responses: {
      200: {
        description: "The request after this vote.",
        content: jsonContent(RequestObject, {
          approved: {
            summary: "The second approval: approved, grant issued",
            value: { ...ex.REQUEST_APPROVED, grant: { id: ex.IDS.grant, expires_at: ex.REQUEST_APPROVED.grant.expires_at, redeemed_at: null } },
          },
          amended: { summary: "Approved with an amended amount: the grant binds the amended params", value: ex.REQUEST_APPROVED_AMENDED },
        }),
      },
      ...errors(
        SIGNED_OUT,
        {
          code: "forbidden",
          when: "Separation of duties forbids this reviewer to decide (own behalf, own agent, not in the rule's groups, auditor), or the call came from another origin.",
          detail: "you cannot decide a request from an agent you own",
        },
        NOT_FOUND,
        { code: "conflict", when: "The request is no longer pending, or this reviewer already voted.", detail: "you have already voted on this request" },
        TOO_LARGE,
        invalid(
          "The body breaks the schema, or a required reason is missing (to deny, to amend, or to approve where the rule says so), or `params` came with a denial.",
          [{ path: "reason", message: "required to deny" }],
        ),
        {
          code: "edit_not_allowed",
          when: "The amended params change a top-level name the rule does not list in `reviewers_may_edit`; `errors` names each.",
          detail: "the rule does not let reviewers change currency",
          errors: [{ path: "params.currency", message: "reviewers may not change this" }],
        },
        {
          code: "edit_changes_policy",
          when: "With the amended params the request would be handled by another rule, effect or number of approvals.",
          detail: "the amended request would be handled by large-payments (require_approval with 2 approvals), not refunds (require_approval with 1 approval)",
        },
        UNAVAILABLE,
      ),
    },
  },
  async handler({ user, params, body }) {
    const request = await decideRequest({ requestId: params.id, reviewer: user, decision: body.decision, reason: body.reason, params: body.params });
    return json(await toRequestObject(request));
  },
});

const decideRequestsRoute = defineRoute({
  method: "POST",
  path: "/api/v1/review/decisions",
  access: { session: ["admin", "reviewer"] },
  body: BatchDecisionBody,
  docs: {
    operationId: "decideRequests",
    summary: "Approve or deny several requests",
    description: `Casts the signed-in reviewer's vote, with one decision and reason, on each of 1 to 100 requests, in the order given. Each item is authorised, decided and audited exactly as \`POST /api/v1/requests/{id}/decisions\` would do it (separation of duties, reviewer groups, reason rules, M-of-N approvals, one winner against concurrent votes), and its \`status\` is the HTTP status that single call would have answered, with the updated \`request\` (200) or the \`problem\`. One item's refusal does not stop the others. No edits in a batch. A repeated id is decided once; its repetition gets 409 like a second vote. A denial without a reason refuses the whole batch (422) before anything is decided.`,
    tags,
    request: {
      bodyExamples: {
        approve: { value: { ids: [ex.IDS.request, "req_01jd7k2m3n4p5q6r7s8t9v0w1x"], decision: "approve", reason: "Routine refunds, tickets checked" } },
      },
    },
    responses: {
      200: {
        description: "One result per id, in the order given.",
        content: jsonContent(BatchDecisionResults, {
          mixed: {
            summary: "One approved, one already decided",
            value: {
              results: [
                {
                  id: ex.IDS.request,
                  status: 200,
                  request: { ...ex.REQUEST_APPROVED, grant: { id: ex.IDS.grant, expires_at: ex.REQUEST_APPROVED.grant.expires_at, redeemed_at: null } },
                },
                {
                  id: "req_01jd7k2m3n4p5q6r7s8t9v0w1x",
                  status: 409,
                  problem: {
                    type: "https://countersign.dev/problems/conflict",
                    title: "Conflict",
                    status: 409,
                    detail: "the request is already approved",
                    code: "conflict",
                  },
                },
              ],
            },
          },
        }),
      },
      ...errors(
        SIGNED_OUT,
        roleForbidden("reviewers and admins"),
        TOO_LARGE,
        invalid("The body breaks the schema (no ids, more than 100, an unknown field), or a denial has no reason.", [
          { path: "ids", message: "Too big: expected array to have <=100 items" },
        ]),
        UNAVAILABLE,
      ),
    },
  },
  async handler({ user, body }) {
    if (body.decision === "deny" && !body.reason?.trim()) {
      throw new AppError("validation_failed", "a reason is required to deny", { errors: [{ path: "reason", message: "required to deny" }] });
    }
    const results = await decideRequests({ requestIds: body.ids, reviewer: user, decision: body.decision, reason: body.reason });
    return json({ results });
  },
});

const listReviewRequestsRoute = defineRoute({
  method: "GET",
  path: "/api/v1/review/requests",
  access: SIGNED_IN,
  query: ReviewListQuery,
  docs: {
    operationId: "listReviewRequests",
    summary: "The review queue",
    description:
      "Requests from every agent that the signed-in user may see, newest first, with the agent, every vote and whether this user may decide. `status=pending` is the queue; `status=decided` is the history; `sort=risk` puts the highest risk score first. Each request carries its risk signals (`risk`), which agents never see. Never includes grant tokens. Reviewers, auditors and admins.",
    tags,
    responses: {
      200: {
        description: "A page of requests; pass `next_cursor` back as `cursor` for the next.",
        content: jsonContent(ReviewList, { queue: { value: { data: [ex.REVIEW_ITEM], next_cursor: null } } }),
      },
      ...errors(
        SIGNED_OUT,
        roleForbidden("reviewers, auditors and admins", false),
        invalid("A query parameter is out of range.", [{ path: "query.status", message: "Invalid input" }]),
        UNAVAILABLE,
      ),
    },
  },
  async handler({ user, query }) {
    const { data, nextCursor } = await listForReviewer(user, {
      status: query.status,
      action: query.action,
      agentName: query.agent,
      createdFrom: query.from ? new Date(`${query.from}T00:00:00Z`) : undefined,
      // The whole of the `to` day: before the next one begins.
      createdBefore: query.to ? new Date(Date.parse(`${query.to}T00:00:00Z`) + 86_400_000) : undefined,
      limit: query.limit,
      cursor: query.cursor,
      sort: query.sort,
    });
    return json({ data, next_cursor: nextCursor });
  },
});

const getReviewRequestRoute = defineRoute({
  method: "GET",
  path: "/api/v1/review/requests/{id}",
  access: SIGNED_IN,
  docs: {
    operationId: "getReviewRequest",
    summary: "A request, as a reviewer sees it",
    description: "One request with its agent, votes and whether the signed-in user may decide it (and if not, why). Never includes a grant token.",
    tags,
    request: { params: requestId },
    responses: {
      200: { description: "The request.", content: jsonContent(ReviewItem, { pending: { value: ex.REVIEW_ITEM } }) },
      ...errors(SIGNED_OUT, roleForbidden("reviewers, auditors and admins", false), NOT_FOUND, UNAVAILABLE),
    },
  },
  async handler({ user, params }) {
    return json(await getForReviewer(user, params.id));
  },
});

/**
 * Server-sent events for the dashboard (lib/events/review-stream.ts). Events
 * carry ids and statuses only, of requests the user may see; the page
 * refetches what it shows through the authorised JSON endpoints.
 */
const streamReviewEventsRoute = defineRoute({
  method: "GET",
  path: "/api/v1/review/stream",
  access: SIGNED_IN,
  streams: true,
  docs: {
    operationId: "streamReviewEvents",
    summary: "Live updates (server-sent events)",
    description:
      "An `text/event-stream` that tells the dashboard when to refetch: `ready` once connected, `request` with `{id, status}` whenever a request the user may see is created or changes (a reviewer: requests open to any reviewer or routed to one of their groups), and `resync` when events may have been missed (refetch everything). Events carry ids and statuses only; read the details through the endpoints above. A comment line every 20 seconds keeps the connection open. The stream ends when the session is signed out or revoked, or the user's role or groups change (reconnect: the new rights apply). At most `COUNTERSIGN_STREAMS_PER_USER` (default 8) streams per user are open at once on an instance.",
    tags,
    responses: {
      200: { description: "The event stream; it stays open.", content: { "text/event-stream": { schema: z.string(), example: ex.STREAM_TEXT } } },
      ...errors(
        SIGNED_OUT,
        roleForbidden("reviewers, auditors and admins", false),
        {
          code: "rate_limited",
          when: "The user already has the maximum number of streams open (other tabs). Close one, or wait `Retry-After` seconds.",
          detail: "at most 8 live streams per user; close another dashboard tab and try again",
        },
        UNAVAILABLE,
      ),
    },
  },
  async handler({ req, user, sessionId }) {
    const stream = await openReviewStream({ userId: user.id, sessionId }, req.signal);
    return new Response(stream, {
      headers: { "content-type": "text/event-stream", "cache-control": "no-store", connection: "keep-alive", "x-accel-buffering": "no" },
    });
  },
});

const getNotificationPreferencesRoute = defineRoute({
  method: "GET",
  path: "/api/v1/review/notification-preferences",
  access: SIGNED_IN,
  docs: {
    operationId: "getNotificationPreferences",
    summary: "My email preferences",
    description:
      "Which emails the signed-in user gets: new requests they may decide, reminders, escalations to their groups, and alerts about agents they own. Every kind is on until turned off.",
    tags,
    responses: {
      200: {
        description: "The preferences.",
        content: jsonContent(NotificationPreferences, { defaults: { value: { ...PREFERENCES, email_escalations: true } } }),
      },
      ...errors(SIGNED_OUT, UNAVAILABLE),
    },
  },
  async handler({ user }) {
    return json({ ...(await getPreferences(user.id)), email_enabled: deliveryConfig().email !== null });
  },
});

const updateNotificationPreferencesRoute = defineRoute({
  method: "PUT",
  path: "/api/v1/review/notification-preferences",
  access: SIGNED_IN,
  body: NotificationPreferencesUpdate,
  docs: {
    operationId: "updateNotificationPreferences",
    summary: "Change my email preferences",
    description:
      "Changes the given preferences of the signed-in user (the others keep their value). Recorded in the audit log as `user.notification_preferences_changed`.",
    tags,
    request: { bodyExamples: { quieter: { value: { email_escalations: false } } } },
    responses: {
      200: { description: "The preferences after the change.", content: jsonContent(NotificationPreferences, { changed: { value: PREFERENCES } }) },
      ...errors(
        SIGNED_OUT,
        { code: "forbidden", when: "The call came from another origin.", detail: "cross-site requests are not allowed" },
        TOO_LARGE,
        invalid("The body breaks the schema.", [{ path: "email_reminders", message: "Invalid input: expected boolean, received string" }]),
        UNAVAILABLE,
      ),
    },
  },
  async handler({ user, body }) {
    return json({ ...(await updatePreferences({ userId: user.id, changes: body })), email_enabled: deliveryConfig().email !== null });
  },
});

export const reviewRoutes = [
  decideRequestRoute,
  decideRequestsRoute,
  listReviewRequestsRoute,
  getReviewRequestRoute,
  streamReviewEventsRoute,
  getNotificationPreferencesRoute,
  updateNotificationPreferencesRoute,
];
