import "server-only";
import { AppError } from "../errors.ts";
import { json, readText } from "../http/body.ts";
import { defineRoute } from "../http/define-route.ts";
import { parseStrictJson } from "../http/strict-json.ts";
import { confirmDecisionLink, readDecisionLink } from "../notifications/decision-links.ts";
import { errors, invalid, jsonContent, pathParams, roleForbidden, SIGNED_OUT, TOO_LARGE, UNAVAILABLE } from "../openapi/components.ts";
import * as ex from "../openapi/examples.ts";
import { ReviewItem } from "../schemas/review.ts";
import { z } from "../schemas/zod.ts";
import { slackConfig } from "../slack/config.ts";
import { handleInteraction } from "../slack/handle-interaction.ts";
import { verifySlackRequest } from "../slack/verify-request.ts";

const tags = ["Integrations"];
/** Slack's payloads (a modal submission carries its whole view) stay well under this. */
const SLACK_BODY_LIMIT = 256 * 1024;

const SlackForm = z
  .object({ payload: z.string().openapi({ description: "The interaction, as JSON (block_actions or view_submission)." }) })
  .openapi({ description: "Form-encoded, as Slack sends it." });

const slackInteractionsRoute = defineRoute({
  method: "POST",
  path: "/api/v1/integrations/slack/interactions",
  access: "public",
  docs: {
    operationId: "slackInteractions",
    summary: "Slack interactivity (Approve, Deny, the reason dialog)",
    description: `The Request URL of the Slack app's interactivity. Every call must carry Slack's signature: \`X-Slack-Signature\` is \`v0=\` and the hex HMAC-SHA256 of \`v0:{X-Slack-Request-Timestamp}:{raw body}\` with the app's signing secret; the timestamp must be within five minutes, and a signature is accepted once (a replay is refused).

The Slack user is mapped to a reviewer by the email Slack confirms for them (\`users.info\`, \`is_email_confirmed\`). Approve decides at once (or opens the reason dialog when the rule requires a reason to approve); Deny opens the reason dialog and decides when it is submitted. Every rule of a dashboard decision applies (groups, separation of duties, M-of-N, reasons); refusals are told to that user only (ephemeral). Rules with \`chat_approval: false\` are decided on the dashboard only.`,
    tags,
    security: [],
    request: {
      body: {
        content: {
          "application/x-www-form-urlencoded": {
            schema: SlackForm,
            examples: {
              approve: {
                summary: "An Approve button pressed",
                value: {
                  payload: JSON.stringify({
                    type: "block_actions",
                    user: { id: "U0123ABCD" },
                    trigger_id: "1234.5678.abcd",
                    response_url: "https://hooks.slack.com/actions/T0/1/abc",
                    channel: { id: "C0123ABCD" },
                    actions: [{ action_id: "approve", value: ex.IDS.request }],
                  }),
                },
              },
            },
          },
        },
      },
    },
    responses: {
      200: {
        description: "Received. Empty, or for a reason dialog that cannot be accepted, Slack's `response_action: errors` with the reason field's message.",
        content: {
          "application/json": {
            schema: z.object({ response_action: z.literal("errors"), errors: z.record(z.string(), z.string()) }),
          },
        },
      },
      ...errors(
        {
          code: "unauthenticated",
          when: "The Slack signature is missing or wrong, the timestamp is more than five minutes away, or the signature was already received (a replay).",
          detail: "the Slack signature does not match",
        },
        { code: "not_found", when: "The Slack app is not configured (SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET).", detail: "the Slack app is not configured" },
        {
          code: "payload_too_large",
          when: `The body is over ${SLACK_BODY_LIMIT / 1024} KiB.`,
          detail: `request bodies are limited to ${SLACK_BODY_LIMIT} bytes`,
        },
        {
          code: "validation_failed",
          when: "The signed body has no JSON `payload` field.",
          detail: "the request is not valid",
          errors: [{ path: "payload", message: "required" }],
        },
        UNAVAILABLE,
      ),
    },
  },
  async handler({ req }) {
    const config = slackConfig();
    if (!config) throw new AppError("not_found", "the Slack app is not configured");
    const raw = await readText(req, SLACK_BODY_LIMIT);
    // The signature covers the exact bytes received: verified before anything is parsed.
    await verifySlackRequest(req.headers, raw, config.signingSecret);
    let payload: unknown;
    try {
      // Strictly, like every JSON body: no duplicate names, no `__proto__`, no lone surrogates.
      payload = parseStrictJson(new URLSearchParams(raw).get("payload") ?? "");
    } catch (err) {
      const message = err instanceof AppError ? `required, as strict JSON: ${err.message}` : "required, as JSON";
      throw new AppError("validation_failed", "the request is not valid", { errors: [{ path: "payload", message }] });
    }
    const answer = await handleInteraction(payload, config);
    return answer.body ? json(answer.body) : new Response(null, { status: 200 });
  },
});

const DecisionLinkView = z
  .object({
    state: z.enum(["ready", "used", "expired"]).openapi({ description: "`ready`: it can be confirmed; `used` and `expired` links decide nothing." }),
    decision: z.enum(["approve", "deny"]),
    expires_at: z.string().openapi({ format: "date-time" }),
    reason_required: z.boolean().openapi({ description: "Whether confirming needs a reason: always to deny, and to approve when the rule says so." }),
    request: ReviewItem,
  })
  .openapi("DecisionLink", { description: "A one-time decision link from an email, as its reviewer sees it before confirming." });

const ConfirmDecisionLinkBody = z
  .strictObject({ reason: z.string().max(2000).optional() })
  .openapi("ConfirmDecisionLink", { description: "The reason: required to deny, and to approve when the rule says so." });

const token = pathParams({ token: { description: "The link's token (`cdl_…`), from the email.", example: "cdl_3q2-7wEvmUo0f8pQmD0m4nUYqkq1GPX3mY8mEgbk6dQ" } });
const LINK_NOT_FOUND = {
  code: "not_found" as const,
  when: "No such link, or it was sent to another reviewer (the same answer), or its request is no longer visible to you.",
  detail: "no such decision link",
};
const REVIEWERS = { session: ["admin", "reviewer"] } as const;
const exampleLink = { state: "ready", decision: "approve", expires_at: "2026-12-03T10:30:00.000Z", reason_required: false, request: ex.REVIEW_ITEM };

const getDecisionLinkRoute = defineRoute({
  method: "GET",
  path: "/api/v1/decision-links/{token}",
  access: REVIEWERS,
  docs: {
    operationId: "getDecisionLink",
    summary: "A one-time decision link",
    description: "What the confirmation page shows: whether the link can still be used, its decision, and the request. Reading it decides nothing.",
    tags,
    request: { params: token },
    responses: {
      200: { description: "The link and its request.", content: jsonContent(DecisionLinkView, { ready: { value: exampleLink } }) },
      ...errors(SIGNED_OUT, roleForbidden("reviewers and admins", false), LINK_NOT_FOUND, UNAVAILABLE),
    },
  },
  async handler({ user, params }) {
    const link = await readDecisionLink(params.token, user);
    return json({
      state: link.state,
      decision: link.decision,
      expires_at: link.expiresAt.toISOString(),
      reason_required: link.reasonRequired,
      request: link.request,
    });
  },
});

const confirmDecisionLinkRoute = defineRoute({
  method: "POST",
  path: "/api/v1/decision-links/{token}",
  access: REVIEWERS,
  body: ConfirmDecisionLinkBody,
  bodyOptional: true,
  docs: {
    operationId: "confirmDecisionLink",
    summary: "Confirm a one-time decision link",
    description:
      "Casts the signed-in reviewer's vote that the link names, exactly as `POST /api/v1/requests/{id}/decisions` would (separation of duties, groups, M-of-N, reasons), then spends the link and its pair. Only the reviewer the email went to, signed in, from this origin.",
    tags,
    request: { params: token, bodyExamples: { deny: { value: { reason: "The customer was refunded already" } } } },
    responses: {
      200: { description: "The request after this vote.", content: jsonContent(ReviewItem, { approved: { value: ex.REVIEW_ITEM } }) },
      ...errors(
        SIGNED_OUT,
        {
          code: "forbidden",
          when: "Separation of duties forbids this vote, or the call came from another origin.",
          detail: "you cannot decide a request from an agent you own",
        },
        LINK_NOT_FOUND,
        {
          code: "conflict",
          when: "The link was used or has expired, or the request is no longer pending, or you already voted.",
          detail: "this decision link was already used",
        },
        TOO_LARGE,
        invalid("A required reason is missing.", [{ path: "reason", message: "required to deny" }]),
        UNAVAILABLE,
      ),
    },
  },
  async handler({ user, params, body }) {
    return json(await confirmDecisionLink({ token: params.token, reviewer: user, reason: body.reason }));
  },
});

export const integrationRoutes = [slackInteractionsRoute, getDecisionLinkRoute, confirmDecisionLinkRoute];
