import { env } from "@/lib/env";
import { hub } from "@/lib/events/hub";
import { safeEqual } from "@/lib/crypto";
import { problem } from "@/lib/http/problem";
import { metrics } from "@/lib/metrics";

export const dynamic = "force-dynamic";

/** Prometheus metrics. Disable with COUNTERSIGN_METRICS=false, or protect with COUNTERSIGN_METRICS_TOKEN. */
export async function GET(req: Request): Promise<Response> {
  const e = env();
  if (!e.COUNTERSIGN_METRICS) return problem("not_found", "metrics are disabled");
  if (e.COUNTERSIGN_METRICS_TOKEN) {
    const given = /^Bearer\s+(\S+)$/i.exec(req.headers.get("authorization") ?? "")?.[1] ?? "";
    if (!safeEqual(given, e.COUNTERSIGN_METRICS_TOKEN)) return problem("unauthenticated", "a metrics token is required");
  }
  const m = metrics();
  m.waiting.set(hub().waiterCount());
  return new Response(await m.registry.metrics(), { headers: { "content-type": m.registry.contentType } });
}
