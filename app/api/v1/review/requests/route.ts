import { json, readQuery } from "@/lib/http/body";
import { withSession } from "@/lib/http/with-session";
import { listRequests } from "@/lib/requests/list-requests";
import { toReviewItems } from "@/lib/requests/review-view";
import { ReviewListQuery } from "@/lib/schemas/review";

/** The reviewer's queue and history: every agent's requests, without grant tokens. */
export const GET = withSession(["admin", "reviewer", "auditor"], async (req, { user }) => {
  const q = readQuery(req, ReviewListQuery);
  const { data, nextCursor } = await listRequests({ status: q.status, action: q.action, limit: q.limit, cursor: q.cursor });
  const items = await toReviewItems(data, user);
  return json({ data: items, next_cursor: nextCursor });
});
