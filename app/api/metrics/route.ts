import { env } from "@/lib/env";
import { hub } from "@/lib/events/hub";
import { clientAddress } from "@/lib/http/client-address";
import { metricsAccess } from "@/lib/http/metrics-access";
import { problem } from "@/lib/http/problem";
import { metrics } from "@/lib/metrics";

export const dynamic = "force-dynamic";

/**
 * Prometheus metrics: to loopback clients, or to anyone with
 * `Authorization: Bearer $COUNTERSIGN_METRICS_TOKEN` (lib/http/metrics-access.ts).
 * Disable with COUNTERSIGN_METRICS=false.
 */
export async function GET(req: Request): Promise<Response> {
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
  return new Response(await m.registry.metrics(), { headers: { "content-type": m.registry.contentType } });
}
