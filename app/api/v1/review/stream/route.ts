import { hub, type HubEvent } from "@/lib/events/hub";
import { withSession } from "@/lib/http/with-session";

export const dynamic = "force-dynamic";

/**
 * Server-sent events for the dashboard, fed by the same notification hub that
 * wakes waiting agents. Events carry ids and statuses only; the page refetches
 * what it shows, through the authorised JSON endpoints.
 */
export const GET = withSession(["admin", "reviewer", "auditor"], async (req) => {
  const h = hub();
  await h.ready();
  const encoder = new TextEncoder();
  let cleanup = () => {};
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      const send = (chunk: string) => {
        try {
          controller.enqueue(encoder.encode(chunk));
        } catch {
          cleanup();
        }
      };
      const unsubscribe = h.onAny((event: HubEvent) => {
        if (event.kind === "request") send(`event: request\ndata: ${JSON.stringify({ id: event.id, status: event.status })}\n\n`);
        else send(`event: resync\ndata: {}\n\n`);
      });
      const heartbeat = setInterval(() => send(`: keep-alive\n\n`), 20_000);
      cleanup = () => {
        clearInterval(heartbeat);
        unsubscribe();
        try {
          controller.close();
        } catch {
          // already closed
        }
      };
      req.signal.addEventListener("abort", () => cleanup(), { once: true });
      send(`retry: 2000\nevent: ready\ndata: {}\n\n`);
    },
    cancel() {
      cleanup();
    },
  });
  return new Response(stream, {
    headers: { "content-type": "text/event-stream", "cache-control": "no-store", connection: "keep-alive", "x-accel-buffering": "no" },
  });
});
