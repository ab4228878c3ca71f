import "server-only";
import { AppError } from "../errors.ts";
import { json, readText } from "../http/body.ts";
import { defineRoute } from "../http/define-route.ts";
import { errors, UNAVAILABLE } from "../openapi/components.ts";
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
    request: { body: { content: { "application/x-www-form-urlencoded": { schema: SlackForm } } } },
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
      payload = JSON.parse(new URLSearchParams(raw).get("payload") ?? "");
    } catch {
      throw new AppError("validation_failed", "the request is not valid", { errors: [{ path: "payload", message: "required, as JSON" }] });
    }
    const answer = await handleInteraction(payload, config);
    return answer.body ? json(answer.body) : new Response(null, { status: 200 });
  },
});

export const integrationRoutes = [slackInteractionsRoute];
