import type { Metadata } from "next";
import { publicUrl } from "@/lib/env";
import { requireConsoleUser } from "../../_admin/require-admin";
import { AgentDetailView } from "./agent-detail-view";

export const metadata: Metadata = { title: "Agent" };

export default async function AgentPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const user = await requireConsoleUser(`/admin/agents/${encodeURIComponent(id)}`);
  return <AgentDetailView id={id} canEdit={user.canEdit} publicUrl={publicUrl()} />;
}
