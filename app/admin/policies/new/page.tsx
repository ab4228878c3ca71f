import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { requireConsoleUser } from "../../_admin/require-admin";
import { RuleEditorView } from "../rule-editor-view";

export const metadata: Metadata = { title: "New rule" };

export default async function NewRulePage({ searchParams }: { searchParams: Promise<{ from?: string | string[] }> }) {
  const { from } = await searchParams;
  const proposeFrom = typeof from === "string" && /^req_[A-Za-z0-9]{1,64}$/.test(from) ? from : null;
  const user = await requireConsoleUser(proposeFrom ? `/admin/policies/new?from=${proposeFrom}` : "/admin/policies/new");
  // Auditors read the policy; they cannot draft rules.
  if (!user.canEdit) redirect("/admin/policies");
  // `?from=req_…`: "Propose a rule" from a decided request (the request page links here).
  return <RuleEditorView id={null} canEdit proposeFrom={proposeFrom} />;
}
