import { OpenAPIRegistry, OpenApiGeneratorV31 } from "@asteasolutions/zod-to-openapi";
import { publicUrl } from "./env.ts";
import {
  CreateRequestBody,
  DecisionBody,
  ListRequestsQuery,
  OutcomeBody,
  Problem,
  RedeemBody,
  RedeemResult,
  RequestList,
  RequestObject,
  WaitQuery,
} from "./schemas/requests.ts";
import { PolicyDocument } from "./policy/policy-document.ts";
import { ReviewListQuery } from "./schemas/review.ts";
import { z } from "./schemas/zod.ts";

function problems(...codes: [number, string][]) {
  return Object.fromEntries(
    codes.map(([status, description]) => [status, { description, content: { "application/problem+json": { schema: Problem } } }]),
  );
}

const id = z.object({ id: z.string().openapi({ example: "req_01jb7y8m2q3w4e5r6t7y8u9i0p" }) });
const agentAuth = [{ agentKey: [] }];
const sessionAuth = [{ session: [] }];
const adminAuth: Record<string, string[]>[] = [{ session: [] }, { adminToken: [] }];
const ImportResult = z.object({
  dry_run: z.boolean(),
  added: z.array(z.string()),
  changed: z.array(z.string()),
  removed: z.array(z.string()),
  unchanged: z.array(z.string()),
  default_changed: z.boolean(),
});

/** The OpenAPI 3.1 document, generated from the same zod schemas the handlers validate with. */
export function openApiDocument() {
  const r = new OpenAPIRegistry();
  r.registerComponent("securitySchemes", "agentKey", {
    type: "http",
    scheme: "bearer",
    description: "Agent API key `csk_<key id>_<secret>`",
  });
  r.registerComponent("securitySchemes", "adminToken", { type: "http", scheme: "bearer", description: "Admin API token `csa_<id>_<secret>`" });
  r.registerComponent("securitySchemes", "session", { type: "apiKey", in: "cookie", name: "authjs.session-token" });

  r.registerPath({
    method: "post",
    path: "/api/v1/requests",
    summary: "Ask for approval",
    tags: ["Agent"],
    security: agentAuth,
    request: {
      headers: z.object({ "Idempotency-Key": z.string().min(1).max(255).optional() }),
      body: { content: { "application/json": { schema: CreateRequestBody } } },
    },
    responses: {
      201: { description: "Created (pending, or already approved/denied by policy)", content: { "application/json": { schema: RequestObject } } },
      200: { description: "Idempotent replay: the original request", content: { "application/json": { schema: RequestObject } } },
      ...problems([401, "Unauthenticated"], [403, "Agent suspended"], [409, "Idempotency key reused with a different body"], [413, "Body over 64 KiB"], [422, "Validation failed"], [429, "Rate limited"], [503, "Unavailable"]),
    },
  });
  r.registerPath({
    method: "get",
    path: "/api/v1/requests",
    summary: "List the agent's own requests",
    tags: ["Agent"],
    security: agentAuth,
    request: { query: ListRequestsQuery },
    responses: { 200: { description: "A page of requests", content: { "application/json": { schema: RequestList } } }, ...problems([401, "Unauthenticated"], [422, "Validation failed"]) },
  });
  r.registerPath({
    method: "get",
    path: "/api/v1/requests/{id}",
    summary: "Read a request, optionally waiting up to 60 s for a decision",
    tags: ["Agent"],
    security: agentAuth,
    request: { params: id, query: WaitQuery },
    responses: { 200: { description: "The request", content: { "application/json": { schema: RequestObject } } }, ...problems([401, "Unauthenticated"], [404, "Not found"]) },
  });
  r.registerPath({
    method: "post",
    path: "/api/v1/requests/{id}/cancel",
    summary: "Cancel a pending request",
    tags: ["Agent"],
    security: agentAuth,
    request: { params: id },
    responses: { 200: { description: "Cancelled", content: { "application/json": { schema: RequestObject } } }, ...problems([404, "Not found"], [409, "Already terminal"]) },
  });
  r.registerPath({
    method: "post",
    path: "/api/v1/requests/{id}/outcome",
    summary: "Report what happened after executing",
    tags: ["Agent"],
    security: agentAuth,
    request: { params: id, body: { content: { "application/json": { schema: OutcomeBody } } } },
    responses: { 200: { description: "Recorded", content: { "application/json": { schema: RequestObject } } }, ...problems([404, "Not found"], [409, "Already reported, or grant not redeemed"], [422, "Validation failed"]) },
  });
  r.registerPath({
    method: "post",
    path: "/api/v1/requests/{id}/decisions",
    summary: "Approve or deny (reviewers, session)",
    tags: ["Reviewer"],
    security: sessionAuth,
    request: { params: id, body: { content: { "application/json": { schema: DecisionBody } } } },
    responses: {
      200: { description: "The updated request", content: { "application/json": { schema: RequestObject } } },
      ...problems([401, "Not signed in"], [403, "Not allowed to decide this request, or cross-site"], [404, "Not found"], [409, "No longer pending, or already voted"], [422, "Validation failed"]),
    },
  });
  r.registerPath({
    method: "get",
    path: "/api/v1/review/requests",
    summary: "The review queue and history: every agent's requests, newest first (reviewers, auditors, admins)",
    tags: ["Reviewer"],
    security: sessionAuth,
    request: { query: ReviewListQuery },
    responses: { 200: { description: "A page of requests with agent, votes and whether you may decide" }, ...problems([401, "Not signed in"], [403, "Role not allowed"]) },
  });
  r.registerPath({
    method: "get",
    path: "/api/v1/review/requests/{id}",
    summary: "One request as a reviewer sees it (never with a grant token)",
    tags: ["Reviewer"],
    security: sessionAuth,
    request: { params: id },
    responses: { 200: { description: "The request with agent, votes and whether you may decide" }, ...problems([401, "Not signed in"], [404, "Not found"]) },
  });
  r.registerPath({
    method: "get",
    path: "/api/v1/review/stream",
    summary: "Server-sent events: `request` {id, status} on every change, `resync` when events may have been missed",
    tags: ["Reviewer"],
    security: sessionAuth,
    responses: { 200: { description: "text/event-stream", content: { "text/event-stream": { schema: z.string() } } }, ...problems([401, "Not signed in"]) },
  });
  r.registerPath({
    method: "post",
    path: "/api/v1/grants/redeem",
    summary: "Redeem a grant exactly once (executors)",
    tags: ["Executor"],
    request: { body: { content: { "application/json": { schema: RedeemBody } } } },
    responses: {
      200: { description: "Redeemed: the approved action and parameters", content: { "application/json": { schema: RedeemResult } } },
      ...problems([401, "grant_invalid"], [409, "grant_already_redeemed"], [410, "grant_expired or grant_revoked"], [422, "grant_mismatch or validation failed"]),
    },
  });
  r.registerPath({
    method: "get",
    path: "/.well-known/jwks.json",
    summary: "Public keys that verify grant signatures",
    tags: ["Executor"],
    responses: { 200: { description: "JWKS", content: { "application/json": { schema: z.object({ keys: z.array(z.record(z.string(), z.unknown())) }) } } } },
  });
  r.registerPath({
    method: "get",
    path: "/api/health",
    summary: "Liveness and database health",
    tags: ["Operations"],
    responses: {
      200: { description: "Healthy", content: { "application/json": { schema: z.object({ status: z.string(), database: z.string() }) } } },
      503: { description: "Database unavailable" },
    },
  });

  r.registerPath({
    method: "get",
    path: "/api/v1/admin/policies",
    summary: "Export the policy document",
    description: "YAML with `Accept: application/yaml`, JSON otherwise. Rules in evaluation order; disabled rules with `enabled: false`.",
    tags: ["Admin"],
    security: adminAuth,
    responses: {
      200: { description: "The policy document", content: { "application/json": { schema: PolicyDocument }, "application/yaml": { schema: PolicyDocument } } },
      ...problems([401, "Unauthenticated"], [403, "Not an admin"]),
    },
  });
  r.registerPath({
    method: "put",
    path: "/api/v1/admin/policies",
    summary: "Import a policy document (all or nothing)",
    description: "Rules absent from the document are removed, new ones added, changed ones get a new version; order is file order. `?dry_run=true` reports and changes nothing.",
    tags: ["Admin"],
    security: adminAuth,
    request: {
      query: z.object({ dry_run: z.enum(["true", "false"]).optional() }),
      body: { content: { "application/yaml": { schema: PolicyDocument }, "application/json": { schema: PolicyDocument } } },
    },
    responses: {
      200: { description: "What changed (or would change)", content: { "application/json": { schema: ImportResult } } },
      ...problems([401, "Unauthenticated"], [403, "Not an admin, or cross-site"], [413, "Body over 64 KiB"], [422, "Invalid document; errors name the rule and field"]),
    },
  });

  return new OpenApiGeneratorV31(r.definitions).generateDocument({
    openapi: "3.1.0",
    info: { title: "Countersign API", version: "1.0.0", description: "Human approval gateway for AI agents." },
    servers: [{ url: publicUrl() }],
  });
}
