import { json } from "@/lib/http/body";
import { withSession } from "@/lib/http/with-session";
import { getForReviewer } from "@/lib/requests/review-view";

export const GET = withSession<{ id: string }>(["admin", "reviewer", "auditor"], async (_req, { user, params }) => {
  return json(await getForReviewer(user, params.id));
});
