import { json, readQuery } from "@/lib/http/body";
import { withSession } from "@/lib/http/with-session";
import { listForReviewer } from "@/lib/requests/review-view";
import { ReviewListQuery } from "@/lib/schemas/review";

/** The review queue and history, as the signed-in user may see it; never with grant tokens. */
export const GET = withSession(["admin", "reviewer", "auditor"], async (req, { user }) => {
  const q = readQuery(req, ReviewListQuery);
  const { data, nextCursor } = await listForReviewer(user, { status: q.status, action: q.action, limit: q.limit, cursor: q.cursor, sort: q.sort });
  return json({ data, next_cursor: nextCursor });
});
