import type { Metadata } from "next";
import { requireConsoleUser } from "../../_admin/require-admin";
import { RuleEditorView } from "../rule-editor-view";

export const metadata: Metadata = { title: "Rule" };

export default async function RulePage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const user = await requireConsoleUser(`/admin/policies/${encodeURIComponent(id)}`);
  return <RuleEditorView id={id} canEdit={user.canEdit} />;
}
