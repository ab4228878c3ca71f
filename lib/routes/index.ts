import "server-only";
import { json } from "../http/body.ts";
import { type AnyRoute, defineRoute } from "../http/define-route.ts";
import { openApiDocument } from "../openapi/index.ts";
import { anyObject } from "../schemas/json.ts";
import { z } from "../schemas/zod.ts";
import { accountRoutes } from "./account.ts";
import { agentRoutes } from "./agent.ts";
import { agentAdminRoutes } from "./agents.ts";
import { auditRoutes } from "./audit.ts";
import { containmentRoutes } from "./containment.ts";
import { integrationRoutes } from "./integrations.ts";
import { peopleRoutes } from "./people.ts";
import { policyRoutes } from "./policy.ts";
import { reviewRoutes } from "./review.ts";
import { serviceRoutes } from "./service.ts";
import { webhookRoutes } from "./webhooks.ts";

/*
 * The route table: every HTTP endpoint Countersign answers (besides pages and
 * Auth.js's /api/auth/*), each defined once with defineRoute in the module of
 * its domain. The server dispatches from it (lib/http/router.ts), the OpenAPI
 * document is generated from it, and test/api/routes.test.ts walks it.
 */

const OpenApiDocumentShape = z
  .looseObject({
    openapi: z.string(),
    info: z.looseObject({ title: z.string(), version: z.string() }).openapi({ additionalProperties: true }),
    paths: anyObject,
  })
  .openapi({ additionalProperties: true, description: "An OpenAPI 3.1 document." });

let document: ReturnType<typeof openApiDocument> | undefined;

const getOpenApiDocument = defineRoute({
  method: "GET",
  path: "/api/v1/openapi.json",
  access: "public",
  docs: {
    operationId: "getOpenApiDocument",
    summary: "This document",
    description:
      "The OpenAPI 3.1 description of this API, generated from the same route table and schemas the server dispatches and validates with. Feed it to a client generator; the rendered reference is at `/docs/api`.",
    tags: ["Service"],
    responses: { 200: { description: "The document.", content: { "application/json": { schema: OpenApiDocumentShape } } } },
  },
  async handler() {
    document ??= openApiDocument(ROUTES);
    return json(document);
  },
});

export const ROUTES: readonly AnyRoute[] = [
  ...agentRoutes,
  ...reviewRoutes,
  ...accountRoutes,
  ...integrationRoutes,
  ...agentAdminRoutes,
  ...peopleRoutes,
  ...containmentRoutes,
  ...policyRoutes,
  ...webhookRoutes,
  ...auditRoutes,
  ...serviceRoutes,
  getOpenApiDocument,
];
