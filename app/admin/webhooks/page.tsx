import type { Metadata } from "next";
import { requireConsoleUser } from "../_admin/require-admin";
import { WebhooksView } from "./webhooks-view";

export const metadata: Metadata = { title: "Webhooks" };

export default async function WebhooksPage() {
  const user = await requireConsoleUser("/admin/webhooks");
  return <WebhooksView canEdit={user.canEdit} />;
}
