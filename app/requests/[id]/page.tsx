import type { Metadata } from "next";
import { requireReviewer } from "../../_review/require-reviewer";
import { RequestView } from "./request-view";

export const metadata: Metadata = { title: "Request" };

export default async function RequestPage({
  params,
  searchParams,
}: {
  params: Promise<{ id: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { id } = await params;
  // `?edit=1` (the queue's `e` key): open with the amend editor on, where the rule lets reviewers edit.
  const edit = (await searchParams).edit === "1";
  const user = await requireReviewer(`/requests/${encodeURIComponent(id)}${edit ? "?edit=1" : ""}`);
  return <RequestView id={id} showAudit={user.role === "admin" || user.role === "auditor"} canProposeRule={user.role === "admin"} startEditing={edit} />;
}
