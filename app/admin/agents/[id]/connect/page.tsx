import type { Metadata } from "next";
import { publicUrl } from "@/lib/env";
import { requireConsoleUser } from "../../../_admin/require-admin";
import { ConnectView } from "./connect-view";

export const metadata: Metadata = { title: "Connect agent" };

/** Copy-paste setup for one agent. Keys are never part of this page: only the browser that issued one can fill it in. */
export default async function ConnectAgentPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const user = await requireConsoleUser(`/admin/agents/${encodeURIComponent(id)}/connect`);
  return <ConnectView id={id} canEdit={user.canEdit} publicUrl={publicUrl()} />;
}
