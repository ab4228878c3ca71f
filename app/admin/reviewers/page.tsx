import type { Metadata } from "next";
import { requireConsoleUser } from "../_admin/require-admin";
import { ReviewersView } from "./reviewers-view";

export const metadata: Metadata = { title: "Reviewers" };

export default async function ReviewersPage() {
  const user = await requireConsoleUser("/admin/reviewers");
  return <ReviewersView canEdit={user.canEdit} selfId={user.id} />;
}
