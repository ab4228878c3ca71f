import { openReviewStream } from "@/lib/events/review-stream";
import { withSession } from "@/lib/http/with-session";

export const dynamic = "force-dynamic";

/**
 * Server-sent events for the dashboard (lib/events/review-stream.ts). Events
 * carry ids and statuses only, of requests the user may see; the page
 * refetches what it shows through the authorised JSON endpoints.
 */
export const GET = withSession(["admin", "reviewer", "auditor"], async (req, { user, sessionId }) => {
  const stream = await openReviewStream({ userId: user.id, sessionId }, req.signal);
  return new Response(stream, {
    headers: { "content-type": "text/event-stream", "cache-control": "no-store", connection: "keep-alive", "x-accel-buffering": "no" },
  });
});
