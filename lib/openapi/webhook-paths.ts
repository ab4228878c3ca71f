import "server-only";
import type { OpenAPIRegistry } from "@asteasolutions/zod-to-openapi";
import { RotatedSecret } from "../schemas/webhooks.ts";
import { errors, jsonContent, pathParams, roleForbidden, SESSION_AUTH, SIGNED_OUT, UNAVAILABLE } from "./components.ts";
import * as ex from "./examples.ts";

/*
 * Agents' callback secrets. (Webhook endpoints and deliveries: lib/routes/webhooks.ts.)
 */

const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

export function registerWebhookPaths(r: OpenAPIRegistry): void {
  r.registerPath({
    method: "post",
    path: "/api/v1/admin/agents/{id}/callback-secret",
    operationId: "rotateAgentCallbackSecret",
    summary: "Rotate an agent's callback secret",
    description:
      "Replaces the secret that signs `request.decided` to the `callback_url` of the agent's requests (Standard Webhooks); the new secret is in this answer only. Agents registered before callbacks existed get their first secret this way.",
    tags: ["Agents and keys"],
    security: SESSION_AUTH,
    request: { params: pathParams({ id: { description: "The agent's id (`agt_…`).", example: ex.IDS.agent } }) },
    responses: {
      200: { description: "The new secret, shown once.", content: jsonContent(RotatedSecret, { rotated: { value: { secret: SECRET } } }) },
      ...errors(SIGNED_OUT, roleForbidden("admins"), { code: "not_found", when: "No such agent.", detail: "no such agent" }, UNAVAILABLE),
    },
  });
}
