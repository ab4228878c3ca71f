import type { Metadata } from "next";
import { requireReviewer } from "../../_review/require-reviewer";
import { RequestView } from "./request-view";

export const metadata: Metadata = { title: "Request" };

export default async function RequestPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const user = await requireReviewer(`/requests/${encodeURIComponent(id)}`);
  return <RequestView id={id} showAudit={user.role === "admin" || user.role === "auditor"} />;
}
