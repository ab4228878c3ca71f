import type { Metadata } from "next";
import { requireConsoleUser } from "../admin/_admin/require-admin";
import { AuditView, type AuditFilters } from "./audit-view";

export const metadata: Metadata = { title: "Audit log" };

const one = (v: string | string[] | undefined) => (typeof v === "string" ? v.slice(0, 200) : "");

/** The audit console: admins and auditors. Filters come from the URL, so a request page can link to its events. */
export default async function AuditPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const q = await searchParams;
  const user = await requireConsoleUser("/audit");
  const initial: AuditFilters = {
    since: one(q.since),
    until: one(q.until),
    actor: one(q.actor),
    type: one(q.type),
    request: one(q.request),
    agent: one(q.agent),
    who: one(q.who),
  };
  return <AuditView initial={initial} canCheckpoint={user.canEdit} />;
}
