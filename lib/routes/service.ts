import "server-only";
import { sql } from "kysely";
import { db, onPeopleLane, poolUsage } from "../db.ts";
import { env } from "../env.ts";
import { agentsAtCallLimit, callsInFlight } from "../limits/admission.ts";
import { hub } from "../events/hub.ts";
import { json } from "../http/body.ts";
import { clientAddress } from "../http/client-address.ts";
import { defineRoute } from "../http/define-route.ts";
import { metricsAccess } from "../http/metrics-access.ts";
import { problem } from "../http/problem.ts";
import { metrics } from "../metrics.ts";
import { errors, jsonContent } from "../openapi/components.ts";
import * as ex from "../openapi/examples.ts";
import { Health } from "../schemas/service.ts";
import { z } from "../schemas/zod.ts";

/* Health and metrics, for load balancers and monitoring. (The document itself: lib/routes/index.ts.) */

const tags = ["Service"];

const getHealth = defineRoute({
  method: "GET",
  path: "/api/health",
  access: "public",
  docs: {
    operationId: "getHealth",
    summary: "Health",
    description: "For load balancers and orchestrators: 200 when the app can reach its database, 503 when it cannot.",
    tags,
    responses: {
      200: { description: "Healthy.", content: jsonContent(Health, { ok: { value: { status: "ok", database: "ok" } } }) },
      503: {
        description: "The database is unreachable.",
        content: jsonContent(Health, { degraded: { value: { status: "degraded", database: "unavailable" } } }),
      },
    },
  },
  async handler() {
    try {
      // On the people's pool: a flood of agents' calls that keeps the main pool
      // busy must not make a load balancer drop a working instance.
      await onPeopleLane(() => sql`SELECT 1`.execute(db()));
      return json({ status: "ok", database: "ok" });
    } catch {
      return json({ status: "degraded", database: "unavailable" }, { status: 503 });
    }
  },
});

/**
 * Prometheus metrics: to loopback clients, or to anyone with
 * `Authorization: Bearer $COUNTERSIGN_METRICS_TOKEN` (lib/http/metrics-access.ts).
 * Disable with COUNTERSIGN_METRICS=false.
 */
const getMetrics = defineRoute({
  method: "GET",
  path: "/api/metrics",
  access: "public",
  docs: {
    operationId: "getMetrics",
    summary: "Metrics (Prometheus)",
    description:
      "Prometheus text format: requests created by effect, votes, grant redemptions by result, agents waiting, open dashboard streams, and process metrics. It answers clients on the server's own machine (loopback) without a token; from anywhere else it needs `Authorization: Bearer $COUNTERSIGN_METRICS_TOKEN`. Turn it off with `COUNTERSIGN_METRICS=false`.",
    tags,
    security: [{}, { metricsToken: [] }],
    responses: {
      200: { description: "The metrics.", content: { "text/plain": { schema: z.string(), example: ex.METRICS_TEXT } } },
      ...errors(
        {
          code: "unauthenticated",
          when: "A token was sent and is wrong, or a token is configured and a client from another machine sent none.",
          detail: "a valid metrics token is required",
        },
        {
          code: "forbidden",
          when: "A client from another machine, and no metrics token is configured.",
          detail: "metrics answer only to clients on this machine unless COUNTERSIGN_METRICS_TOKEN is set",
        },
        { code: "not_found", when: "Metrics are turned off.", detail: "metrics are disabled" },
      ),
    },
  },
  async handler({ req }) {
    const e = env();
    const access = metricsAccess({
      enabled: e.COUNTERSIGN_METRICS,
      token: e.COUNTERSIGN_METRICS_TOKEN,
      address: clientAddress(req.headers),
      authorization: req.headers.get("authorization"),
    });
    if (access === "disabled") return problem("not_found", "metrics are disabled");
    if (access === "unauthenticated") return problem("unauthenticated", "a valid metrics token is required");
    if (access === "forbidden") return problem("forbidden", "metrics answer only to clients on this machine unless COUNTERSIGN_METRICS_TOKEN is set");
    const m = metrics();
    m.waiting.set(hub().waiterCount());
    m.inFlight.set(callsInFlight());
    m.agentsAtCallLimit.set(agentsAtCallLimit());
    for (const u of poolUsage()) for (const state of ["busy", "idle", "waiting"] as const) m.poolConnections.set({ pool: u.pool, state }, u[state]);
    return new Response(await m.registry.metrics(), { headers: { "content-type": m.registry.contentType } });
  },
});

export const serviceRoutes = [getHealth, getMetrics];
