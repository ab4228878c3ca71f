import type { OpenAPIRegistry } from "@asteasolutions/zod-to-openapi";
import { anyObject } from "../schemas/json.ts";
import { Health } from "../schemas/service.ts";
import { z } from "../schemas/zod.ts";
import { errors, json } from "./components.ts";
import * as ex from "./examples.ts";

const OpenApiDocumentShape = z
  .looseObject({ openapi: z.string(), info: z.looseObject({ title: z.string(), version: z.string() }).openapi({ additionalProperties: true }), paths: anyObject })
  .openapi({ additionalProperties: true, description: "An OpenAPI 3.1 document." });

/** Health, metrics and the document itself. */
export function registerOperationsPaths(r: OpenAPIRegistry): void {
  const tags = ["Service"];
  r.registerPath({
    method: "get",
    path: "/api/health",
    operationId: "getHealth",
    summary: "Health",
    description: "For load balancers and orchestrators: 200 when the app can reach its database, 503 when it cannot.",
    tags,
    security: [],
    responses: {
      200: { description: "Healthy.", content: json(Health, { ok: { value: { status: "ok", database: "ok" } } }) },
      503: { description: "The database is unreachable.", content: json(Health, { degraded: { value: { status: "degraded", database: "unavailable" } } }) },
    },
  });
  r.registerPath({
    method: "get",
    path: "/api/metrics",
    operationId: "getMetrics",
    summary: "Metrics (Prometheus)",
    description:
      "Prometheus text format: requests created by effect, votes, grant redemptions by result, agents waiting, open dashboard streams, and process metrics. It answers clients on the server's own machine (loopback) without a token; from anywhere else it needs `Authorization: Bearer $COUNTERSIGN_METRICS_TOKEN`. Turn it off with `COUNTERSIGN_METRICS=false`.",
    tags,
    security: [{}, { metricsToken: [] }],
    responses: {
      200: { description: "The metrics.", content: { "text/plain": { schema: z.string(), example: ex.METRICS_TEXT } } },
      ...errors(
        { code: "unauthenticated", when: "A token was sent and is wrong, or a token is configured and a client from another machine sent none.", detail: "a valid metrics token is required" },
        { code: "forbidden", when: "A client from another machine, and no metrics token is configured.", detail: "metrics answer only to clients on this machine unless COUNTERSIGN_METRICS_TOKEN is set" },
        { code: "not_found", when: "Metrics are turned off.", detail: "metrics are disabled" },
      ),
    },
  });
  r.registerPath({
    method: "get",
    path: "/api/v1/openapi.json",
    operationId: "getOpenApiDocument",
    summary: "This document",
    description: "The OpenAPI 3.1 description of this API, generated from the same schemas the handlers validate with. Feed it to a client generator; the rendered reference is at `/docs/api`.",
    tags,
    security: [],
    responses: { 200: { description: "The document.", content: { "application/json": { schema: OpenApiDocumentShape } } } },
  });
}
