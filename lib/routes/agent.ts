import "server-only";
import { activeSigningKey, publicJwks } from "../grants/signing-keys.ts";
import { redeemGrant } from "../grants/redeem-grant.ts";
import { publicUrl } from "../env.ts";
import { AppError } from "../errors.ts";
import { json } from "../http/body.ts";
import { clientAddress } from "../http/client-address.ts";
import { defineRoute } from "../http/define-route.ts";
import {
  AGENT_SUSPENDED,
  AGENT_UNAUTHENTICATED,
  errors,
  invalid,
  jsonContent,
  pathParams,
  REQUEST_NOT_FOUND,
  TOO_LARGE,
  UNAVAILABLE,
} from "../openapi/components.ts";
import * as ex from "../openapi/examples.ts";
import { cancelRequest } from "../requests/cancel-request.ts";
import { createRequest } from "../requests/create-request.ts";
import { getAgentRequest } from "../requests/get-request.ts";
import { listRequests } from "../requests/list-requests.ts";
import { reportOutcome } from "../requests/report-outcome.ts";
import { toRequestObject } from "../requests/serialize-request.ts";
import { waitForRequest } from "../requests/wait-for-request.ts";
import {
  CreateRequestBody,
  IdempotencyKey,
  ListRequestsQuery,
  OutcomeBody,
  RedeemBody,
  RedeemResult,
  RequestList,
  RequestObject,
  WaitQuery,
} from "../schemas/requests.ts";
import { Jwks } from "../schemas/service.ts";
import { z } from "../schemas/zod.ts";

/*
 * The machine-facing API: agents (with their key) ask, wait, cancel and
 * report; executors (with nothing but the grant) redeem and fetch the keys
 * that verify grants.
 */

const requestId = pathParams({ id: { description: "The request's id (`req_…`), as answered when it was created.", example: ex.IDS.request } });
const AGENT_ERRORS = [AGENT_UNAUTHENTICATED, AGENT_SUSPENDED];

const createRequestRoute = defineRoute({
  method: "POST",
  path: "/api/v1/requests",
  access: "agent",
  body: CreateRequestBody,
  docs: {
    operationId: "createRequest",
    summary: "Ask for approval",
    description: `Describe the action you want to take and wait for a decision. The gateway evaluates its rules at once:

- a rule that **allows** the action answers \`approved\` with a grant right away;
- a rule that **denies** it answers \`denied\` with the rule's reason;
- otherwise the request is \`pending\` until reviewers decide or it expires (\`expires_in\`, at most the rule's \`wait_seconds\`). Wait for it with \`GET /api/v1/requests/{id}?wait=60\`.

Retrying is safe with an idempotency key (the \`Idempotency-Key\` header or the \`idempotency_key\` field; if both are sent they must be equal): the same key with the same body answers \`200\` with the original request; with a different body, \`409\`.

\`params\` are what the executor will do; reviewers see them, and the grant binds their SHA-256 (RFC 8785 canonical JSON), so the executor can prove it runs exactly what was approved. \`context\` is shown to reviewers and usable in rule conditions.`,
    tags: ["Agent"],
    request: {
      headers: z.object({
        "Idempotency-Key": IdempotencyKey.optional().openapi({
          description: "1 to 255 characters; the same as the `idempotency_key` field.",
          example: "ticket-4521-refund-1",
        }),
      }),
      bodyExamples: {
        refund: { summary: "A refund with full context", value: ex.CREATE_REQUEST },
        minimal: { summary: "Only what is required (plus a resource)", value: ex.CREATE_REQUEST_MINIMAL },
      },
    },
    responses: {
      201: {
        description: "Created. `status` is `pending`, or already `approved` / `denied` when a rule decided. `Location` is the request's URL.",
        headers: z.object({ Location: z.string().openapi({ example: `https://countersign.example.com/api/v1/requests/${ex.IDS.request}` }) }),
        content: jsonContent(RequestObject, {
          pending: { summary: "Waiting for reviewers", value: ex.REQUEST_PENDING },
          allowed: { summary: "Allowed by a rule: the grant is already here", value: ex.REQUEST_ALLOWED_BY_POLICY },
          denied: { summary: "Denied by a rule", value: ex.REQUEST_DENIED_BY_POLICY },
        }),
      },
      200: {
        description: "An idempotent retry: the original request, as it is now.",
        content: jsonContent(RequestObject, { replay: { summary: "The same key and body again", value: ex.REQUEST_PENDING } }),
      },
      ...errors(
        AGENT_UNAUTHENTICATED,
        AGENT_SUSPENDED,
        {
          code: "conflict",
          when: "The idempotency key was already used with a different body.",
          detail: "this idempotency key was already used with a different request body",
        },
        TOO_LARGE,
        invalid(
          "The body breaks the schema (unknown fields included), `expires_in` is longer than the rule allows, or the header and field idempotency keys differ.",
        ),
        {
          code: "rate_limited",
          when: "The agent sends requests too fast, or already has the maximum number of pending requests. Wait `Retry-After` seconds.",
          detail: "this agent is sending requests too fast",
        },
        UNAVAILABLE,
      ),
    },
  },
  async handler({ req, agent, body }) {
    const header = req.headers.get("idempotency-key") ?? undefined;
    if (header !== undefined && !IdempotencyKey.safeParse(header).success) {
      throw new AppError("validation_failed", "Idempotency-Key must be 1 to 255 characters", { errors: [{ path: "Idempotency-Key", message: "invalid" }] });
    }
    if (header && body.idempotency_key && header !== body.idempotency_key) {
      throw new AppError("validation_failed", "the Idempotency-Key header and idempotency_key field differ", {
        errors: [{ path: "idempotency_key", message: "differs from the Idempotency-Key header" }],
      });
    }
    const { request, replayed } = await createRequest({ agent, body, idempotencyKey: header });
    const location = `${publicUrl()}/api/v1/requests/${request.id}`;
    return json(await toRequestObject(request, { forAgentId: agent.id }), { status: replayed ? 200 : 201, headers: { location } });
  },
});

const listRequestsRoute = defineRoute({
  method: "GET",
  path: "/api/v1/requests",
  access: "agent",
  query: ListRequestsQuery,
  docs: {
    operationId: "listRequests",
    summary: "List your requests",
    description:
      "The calling agent's own requests, newest first, a page at a time. Pass `next_cursor` back as `cursor` for the next page; it is `null` on the last one.",
    tags: ["Agent"],
    responses: {
      200: { description: "A page of requests.", content: jsonContent(RequestList, { page: { value: { data: [ex.REQUEST_PENDING], next_cursor: null } } }) },
      ...errors(
        ...AGENT_ERRORS,
        invalid("A query parameter is out of range.", [{ path: "query.limit", message: "Too big: expected number to be <=100" }]),
        UNAVAILABLE,
      ),
    },
  },
  async handler({ agent, query }) {
    const { data, nextCursor } = await listRequests({ agentId: agent.id, status: query.status, limit: query.limit, cursor: query.cursor });
    const now = new Date();
    return json({ data: await Promise.all(data.map((r) => toRequestObject(r, { forAgentId: agent.id, now }))), next_cursor: nextCursor });
  },
});

const getRequestRoute = defineRoute({
  method: "GET",
  path: "/api/v1/requests/{id}",
  access: "agent",
  query: WaitQuery,
  docs: {
    operationId: "getRequest",
    summary: "Get a request (and wait)",
    description: `The request as it is now. With \`?wait=N\` (up to 60 seconds) a pending request holds the connection until it is decided, cancelled or expires, or N seconds pass, then answers; a decided one answers at once. The decision wakes the wait directly (no polling), whichever instance it was made on. Loop on \`wait=60\` until \`status\` is not \`pending\`.

Once approved, \`grant.token\` is present (to this agent only, while the grant is unredeemed and unexpired): hand it to the executor.`,
    tags: ["Agent"],
    request: { params: requestId },
    responses: {
      200: {
        description: "The request.",
        content: jsonContent(RequestObject, {
          pending: { summary: "Still pending after the wait", value: ex.REQUEST_PENDING },
          approved: { summary: "Approved by two reviewers: the grant is ready", value: ex.REQUEST_APPROVED },
        }),
      },
      ...errors(
        ...AGENT_ERRORS,
        REQUEST_NOT_FOUND,
        invalid("`wait` is not a whole number from 0 to 60.", [{ path: "query.wait", message: "Too big: expected number to be <=60" }]),
        {
          code: "rate_limited",
          when: "With `wait`, the agent already holds its maximum of long-waits, or the request has its maximum of waiters (per app instance). Retry after `Retry-After` seconds.",
          detail: "this agent is already long-waiting on too many requests",
        },
        UNAVAILABLE,
      ),
    },
  },
  async handler({ req, agent, params, query, admission }) {
    const request = await waitForRequest({
      requestId: params.id,
      agentId: agent.id,
      read: (wokenUp) => getAgentRequest(agent.id, params.id, { wokenUp }),
      waitSeconds: query.wait,
      signal: req.signal,
      onHold: admission.release,
    });
    return json(await toRequestObject(request, { forAgentId: agent.id }));
  },
});

const cancelRequestRoute = defineRoute({
  method: "POST",
  path: "/api/v1/requests/{id}/cancel",
  access: "agent",
  docs: {
    operationId: "cancelRequest",
    summary: "Cancel a request",
    description: "Withdraws a pending request (the task no longer needs it). Reviewers see it as cancelled; it can no longer be approved.",
    tags: ["Agent"],
    request: { params: requestId },
    responses: {
      200: { description: "Cancelled.", content: jsonContent(RequestObject, { cancelled: { value: ex.REQUEST_CANCELLED } }) },
      ...errors(
        ...AGENT_ERRORS,
        REQUEST_NOT_FOUND,
        { code: "conflict", when: "The request is no longer pending.", detail: "the request is already approved and cannot be cancelled" },
        UNAVAILABLE,
      ),
    },
  },
  async handler({ agent, params }) {
    const request = await cancelRequest(agent.id, params.id);
    return json(await toRequestObject(request, { forAgentId: agent.id }));
  },
});

const reportOutcomeRoute = defineRoute({
  method: "POST",
  path: "/api/v1/requests/{id}/outcome",
  access: "agent",
  body: OutcomeBody,
  docs: {
    operationId: "reportOutcome",
    summary: "Report the outcome",
    description:
      "After the grant was redeemed and the action ran, say whether it worked. Reviewers see it on the request; it completes the audit trail. Once per request.",
    tags: ["Agent"],
    request: {
      params: requestId,
      bodyExamples: {
        succeeded: { value: { status: "succeeded", detail: "Refund re_3Qx8 created" } },
        failed: { value: { status: "failed", detail: "The payment provider answered 502; nothing was refunded" } },
      },
    },
    responses: {
      200: { description: "Recorded.", content: jsonContent(RequestObject, { recorded: { value: ex.REQUEST_WITH_OUTCOME } }) },
      ...errors(
        ...AGENT_ERRORS,
        REQUEST_NOT_FOUND,
        {
          code: "conflict",
          when: "An outcome was already reported, or the grant has not been redeemed.",
          detail: "an outcome was already reported for this request",
        },
        TOO_LARGE,
        invalid("The body breaks the schema.", [{ path: "status", message: 'Invalid option: expected one of "succeeded"|"failed"' }]),
        UNAVAILABLE,
      ),
    },
  },
  async handler({ agent, params, body }) {
    const request = await reportOutcome({ agentId: agent.id, requestId: params.id, status: body.status, detail: body.detail });
    return json(await toRequestObject(request, { forAgentId: agent.id }));
  },
});

const redeemGrantRoute = defineRoute({
  method: "POST",
  path: "/api/v1/grants/redeem",
  access: "public",
  body: RedeemBody,
  docs: {
    operationId: "redeemGrant",
    summary: "Redeem a grant",
    description: `For the executor, just before it performs the action. Exactly one redemption of a grant ever succeeds, however many run at once; every later one gets \`409\`. The answer carries the approved action and parameters: execute those.

Repeated refusals are limited per source address and per grant (429), and recorded in the audit log as one event plus a summary with the count per window.

Send \`action\` and \`params\` too (recommended): the gateway then checks they are what was approved (\`422 grant_mismatch\` otherwise). No agent key is needed: the grant is the capability. To check a grant offline instead, verify its signature with the keys from \`/.well-known/jwks.json\`.`,
    tags: ["Executor"],
    request: {
      bodyExamples: {
        checked: { summary: "With the action and parameters to check", value: ex.REDEEM },
        token_only: { summary: "The token alone", value: { token: ex.GRANT_TOKEN } },
      },
    },
    responses: {
      200: {
        description: "Redeemed, the first time: execute the approved action with these parameters.",
        content: jsonContent(RedeemResult, { redeemed: { value: ex.REDEEMED } }),
      },
      ...errors(
        { code: "grant_invalid", when: "The token is malformed, not signed by this gateway, or unknown.", detail: "the grant token is not valid" },
        { code: "grant_already_redeemed", when: "The grant was redeemed before (every attempt after the first).", detail: "the grant was already redeemed" },
        { code: "grant_expired", when: "The grant expired before it was redeemed.", detail: "the grant has expired" },
        { code: "grant_revoked", when: "The grant was revoked (its agent was suspended or retired).", detail: "the grant was revoked" },
        { code: "grant_mismatch", when: "`action` or `params` differ from what was approved.", detail: "the parameters do not match the approved parameters" },
        invalid("The body breaks the schema.", [{ path: "token", message: "Invalid input: expected string, received undefined" }]),
        TOO_LARGE,
        {
          code: "rate_limited",
          when: "This address, or this grant, was refused too often in the last minute (successful redemptions never count). Retry after `Retry-After` seconds.",
          detail: "too many refused redemptions from this address",
        },
        UNAVAILABLE,
      ),
    },
  },
  async handler({ req, body }) {
    const g = await redeemGrant({ token: body.token, action: body.action, params: body.params, source: clientAddress(req.headers) });
    return json({
      grant_id: g.grantId,
      request_id: g.requestId,
      agent_id: g.agentId,
      action: g.action,
      resource: g.resource,
      params: g.params,
      redeemed_at: g.redeemedAt.toISOString(),
    });
  },
});

const getJwksRoute = defineRoute({
  method: "GET",
  path: "/.well-known/jwks.json",
  access: "public",
  docs: {
    operationId: "getJwks",
    summary: "Grant signing keys (JWKS)",
    description:
      "The Ed25519 public keys that verify grant signatures, by `kid`, including retired keys until every grant they signed has expired. Cache for a few minutes (`Cache-Control: max-age=300`). Grant claims: `iss` (the gateway's URL), `sub` (agent id), `aud` (`countersign` unless the rule sets one), `jti` (grant id), `iat`, `nbf`, `exp`, `request_id`, `action`, `resource`, `params_sha256`, `approved_by`.",
    tags: ["Executor"],
    responses: {
      200: { description: "The key set.", content: jsonContent(Jwks, { keys: { value: ex.JWKS } }) },
      ...errors(UNAVAILABLE),
    },
  },
  async handler() {
    await activeSigningKey();
    const res = json(await publicJwks());
    res.headers.set("cache-control", "public, max-age=300");
    return res;
  },
});

export const agentRoutes = [createRequestRoute, listRequestsRoute, getRequestRoute, cancelRequestRoute, reportOutcomeRoute, redeemGrantRoute, getJwksRoute];
