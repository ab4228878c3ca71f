import type { Metadata } from "next";
import { requireReviewer } from "../../_review/require-reviewer";
import { NotificationsView } from "./notifications-view";

export const metadata: Metadata = { title: "Notifications" };

export default async function NotificationsPage() {
  await requireReviewer("/settings/notifications");
  return <NotificationsView />;
}
