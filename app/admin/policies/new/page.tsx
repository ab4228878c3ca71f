import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { requireConsoleUser } from "../../_admin/require-admin";
import { RuleEditorView } from "../rule-editor-view";

export const metadata: Metadata = { title: "New rule" };

export default async function NewRulePage() {
  const user = await requireConsoleUser("/admin/policies/new");
  // Auditors read the policy; they cannot draft rules.
  if (!user.canEdit) redirect("/admin/policies");
  return <RuleEditorView id={null} canEdit />;
}
