import "server-only";
import type { OpenAPIRegistry } from "@asteasolutions/zod-to-openapi";
import { DecisionBody, RequestObject } from "../schemas/requests.ts";
import { NotificationPreferences, NotificationPreferencesUpdate, ReviewItem, ReviewList, ReviewListQuery } from "../schemas/review.ts";
import { z } from "../schemas/zod.ts";
import { body, errors, invalid, jsonContent, pathParams, roleForbidden, SESSION_AUTH, SIGNED_OUT, TOO_LARGE, UNAVAILABLE } from "./components.ts";
import * as ex from "./examples.ts";

const requestId = pathParams({ id: { description: "The request's id (`req_…`).", example: ex.IDS.request } });
const NOT_FOUND = { code: "not_found" as const, when: "No such request, or one you may not see (a reviewer sees the requests of their groups' rules and of rules open to any reviewer).", detail: "no such request" };

/** The dashboard's endpoints for the people who decide. */
export function registerReviewPaths(r: OpenAPIRegistry): void {
  r.registerPath({
    method: "post",
    path: "/api/v1/requests/{id}/decisions",
    operationId: "decideRequest",
    summary: "Approve or deny",
    description: `Casts the signed-in reviewer's vote. One denial denies the request; approvals count until the rule's \`approvals_required\` distinct reviewers have approved, and then the grant is issued and the waiting agent wakes.

Separation of duties is enforced here: nobody decides a request made on their own behalf (\`context.on_behalf_of\`), or, unless the rule allows it, one from an agent they own; when the rule names reviewer groups, only their members decide; auditors never do. A reason is required to deny, and to approve when the rule says so.`,
    tags: ["Reviewer"],
    security: SESSION_AUTH,
    request: {
      params: requestId,
      body: body(DecisionBody, {
        approve: { value: { decision: "approve", reason: "Matches ticket #4521" } },
        deny: { value: { decision: "deny", reason: "The customer was refunded already on 2026-11-21" } },
      }),
    },
    responses: {
      200: { description: "The request after this vote.", content: jsonContent(RequestObject, { approved: { summary: "The second approval: approved, grant issued", value: { ...ex.REQUEST_APPROVED, grant: { id: ex.IDS.grant, expires_at: ex.REQUEST_APPROVED.grant.expires_at, redeemed_at: null } } } }) },
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
        invalid("The body breaks the schema, or a required reason is missing.", [{ path: "reason", message: "required to deny" }]),
        UNAVAILABLE,
      ),
    },
  });

  r.registerPath({
    method: "get",
    path: "/api/v1/review/requests",
    operationId: "listReviewRequests",
    summary: "The review queue",
    description:
      "Requests from every agent that the signed-in user may see, newest first, with the agent, every vote and whether this user may decide. `status=pending` is the queue; `status=decided` is the history; `sort=risk` puts the highest risk score first. Each request carries its risk signals (`risk`), which agents never see. Never includes grant tokens. Reviewers, auditors and admins.",
    tags: ["Reviewer"],
    security: SESSION_AUTH,
    request: { query: ReviewListQuery },
    responses: {
      200: { description: "A page of requests; pass `next_cursor` back as `cursor` for the next.", content: jsonContent(ReviewList, { queue: { value: { data: [ex.REVIEW_ITEM], next_cursor: null } } }) },
      ...errors(SIGNED_OUT, roleForbidden("reviewers, auditors and admins", false), invalid("A query parameter is out of range.", [{ path: "query.status", message: "Invalid input" }]), UNAVAILABLE),
    },
  });

  r.registerPath({
    method: "get",
    path: "/api/v1/review/requests/{id}",
    operationId: "getReviewRequest",
    summary: "A request, as a reviewer sees it",
    description: "One request with its agent, votes and whether the signed-in user may decide it (and if not, why). Never includes a grant token.",
    tags: ["Reviewer"],
    security: SESSION_AUTH,
    request: { params: requestId },
    responses: {
      200: { description: "The request.", content: jsonContent(ReviewItem, { pending: { value: ex.REVIEW_ITEM } }) },
      ...errors(SIGNED_OUT, roleForbidden("reviewers, auditors and admins", false), NOT_FOUND, UNAVAILABLE),
    },
  });

  r.registerPath({
    method: "get",
    path: "/api/v1/review/stream",
    operationId: "streamReviewEvents",
    summary: "Live updates (server-sent events)",
    description:
      "An `text/event-stream` that tells the dashboard when to refetch: `ready` once connected, `request` with `{id, status}` whenever a request the user may see is created or changes (a reviewer: requests open to any reviewer or routed to one of their groups), and `resync` when events may have been missed (refetch everything). Events carry ids and statuses only; read the details through the endpoints above. A comment line every 20 seconds keeps the connection open. The stream ends when the session is signed out or revoked, or the user's role or groups change (reconnect: the new rights apply). At most `COUNTERSIGN_STREAMS_PER_USER` (default 8) streams per user are open at once on an instance.",
    tags: ["Reviewer"],
    security: SESSION_AUTH,
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
  });

  const PREFERENCES = { email_new_requests: true, email_reminders: true, email_escalations: false, email_agent_alerts: true, email_enabled: true };
  r.registerPath({
    method: "get",
    path: "/api/v1/review/notification-preferences",
    operationId: "getNotificationPreferences",
    summary: "My email preferences",
    description: "Which emails the signed-in user gets: new requests they may decide, reminders, escalations to their groups, and alerts about agents they own. Every kind is on until turned off.",
    tags: ["Reviewer"],
    security: SESSION_AUTH,
    responses: {
      200: { description: "The preferences.", content: jsonContent(NotificationPreferences, { defaults: { value: { ...PREFERENCES, email_escalations: true } } }) },
      ...errors(SIGNED_OUT, UNAVAILABLE),
    },
  });

  r.registerPath({
    method: "put",
    path: "/api/v1/review/notification-preferences",
    operationId: "updateNotificationPreferences",
    summary: "Change my email preferences",
    description: "Changes the given preferences of the signed-in user (the others keep their value). Recorded in the audit log as `user.notification_preferences_changed`.",
    tags: ["Reviewer"],
    security: SESSION_AUTH,
    request: { body: body(NotificationPreferencesUpdate, { quieter: { value: { email_escalations: false } } }) },
    responses: {
      200: { description: "The preferences after the change.", content: jsonContent(NotificationPreferences, { changed: { value: PREFERENCES } }) },
      ...errors(SIGNED_OUT, { code: "forbidden", when: "The call came from another origin.", detail: "cross-site requests are not allowed" }, TOO_LARGE, invalid("The body breaks the schema.", [{ path: "email_reminders", message: "Invalid input: expected boolean, received string" }]), UNAVAILABLE),
    },
  });
}
