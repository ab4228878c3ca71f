import type { Metadata } from "next";
import { publicUrl } from "@/lib/env";
import { requireConsoleUser } from "../_admin/require-admin";
import { AgentsView } from "./agents-view";

export const metadata: Metadata = { title: "Agents" };

export default async function AgentsPage() {
  const user = await requireConsoleUser("/admin/agents");
  return <AgentsView canEdit={user.canEdit} publicUrl={publicUrl()} />;
}
