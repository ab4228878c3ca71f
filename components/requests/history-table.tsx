import Link from "next/link";
import type { ReviewItem } from "@/lib/schemas/review";
import { formatShortDateTime } from "../format";
import { StatusBadge } from "./status-badge";
import { VisibleText } from "./visible-text";

/** Who ended the request, in words: a person by name and email, a rule by name, or what happened. */
export function decidedByText(item: ReviewItem): { primary: string; secondary: string | null } {
  const d = item.decision;
  if (!d) return { primary: "—", secondary: null };
  if (item.decided_by)
    return item.decided_by.name ? { primary: item.decided_by.name, secondary: item.decided_by.email } : { primary: item.decided_by.email, secondary: null };
  if (d.by.startsWith("policy:")) return { primary: "Policy", secondary: item.policy?.name ? `rule ${item.policy.name}` : null };
  if (d.by === "agent") return { primary: "The agent", secondary: "cancelled it" };
  if (d.status === "expired") return { primary: "Nobody", secondary: "the wait ran out" };
  return { primary: "System", secondary: null };
}

/** Whether a reviewer amended the params before approving (contract 1.1); absent on servers without amendments. */
function amendedBy(item: ReviewItem): string | null {
  const extra = item as ReviewItem & { original_params?: unknown; amended_by?: string | null };
  if (extra.original_params === undefined || extra.original_params === null) return null;
  return extra.amended_by ?? "a reviewer";
}

const th = "px-3 py-2 text-left text-xs font-medium uppercase tracking-wide text-zinc-500";
const td = "px-3 py-2.5 align-top text-sm";

/** Decided requests as a table: what, who asked, how it ended, who decided and why, what was done. */
export function HistoryTable({ items }: { items: ReviewItem[] }) {
  return (
    <div className="overflow-x-auto rounded-xl border border-zinc-200 bg-white shadow-xs">
      <table className="w-full min-w-[56rem] border-collapse" data-testid="history-table">
        <thead className="border-b border-zinc-200 bg-zinc-50">
          <tr>
            <th className={th}>Request</th>
            <th className={th}>Agent</th>
            <th className={th}>Status</th>
            <th className={th}>Decided by</th>
            <th className={th}>Reason</th>
            <th className={th}>Amended</th>
            <th className={th}>Outcome</th>
          </tr>
        </thead>
        <tbody className="divide-y divide-zinc-100">
          {items.map((item) => {
            const by = decidedByText(item);
            const amended = amendedBy(item);
            return (
              <tr key={item.id} data-testid="request-row" className="hover:bg-zinc-50">
                <td className={`${td} max-w-[18rem]`}>
                  <Link href={`/requests/${item.id}`} className="block font-mono text-xs font-medium text-zinc-900 hover:underline">
                    {item.action}
                  </Link>
                  <span className="mt-0.5 block truncate text-zinc-600">
                    <VisibleText text={item.summary} />
                  </span>
                  <span className="mt-0.5 block text-xs text-zinc-400">{formatShortDateTime(item.created_at)}</span>
                </td>
                <td className={`${td} font-mono text-xs text-zinc-700`}>{item.agent.name}</td>
                <td className={td}>
                  <StatusBadge status={item.status} />
                  {item.decision ? <span className="mt-1 block text-xs text-zinc-400">{formatShortDateTime(item.decision.at)}</span> : null}
                </td>
                <td className={td} data-testid="history-decided-by">
                  <span className="block text-zinc-900">{by.primary}</span>
                  {by.secondary ? <span className="block text-xs text-zinc-500">{by.secondary}</span> : null}
                </td>
                <td className={`${td} max-w-[16rem] text-zinc-700`} data-testid="history-reason">
                  {item.decision?.reason ? (
                    <span className="line-clamp-3 break-words">
                      <VisibleText text={item.decision.reason} />
                    </span>
                  ) : (
                    <span className="text-zinc-400">—</span>
                  )}
                </td>
                <td className={td} data-testid="history-amended">
                  {amended ? (
                    <span
                      className="inline-flex rounded-md bg-violet-50 px-1.5 py-0.5 text-xs font-medium text-violet-800 ring-1 ring-inset ring-violet-600/20"
                      title={`Amended by ${amended}`}
                    >
                      Amended
                    </span>
                  ) : (
                    <span className="text-zinc-400">No</span>
                  )}
                </td>
                <td className={td} data-testid="history-outcome">
                  {item.outcome ? (
                    <span
                      className={`inline-flex rounded-md px-1.5 py-0.5 text-xs font-medium ring-1 ring-inset ${
                        item.outcome.status === "succeeded" ? "bg-emerald-50 text-emerald-800 ring-emerald-600/20" : "bg-red-50 text-red-800 ring-red-600/20"
                      }`}
                      title={item.outcome.detail ?? undefined}
                    >
                      {item.outcome.status === "succeeded" ? "Succeeded" : "Failed"}
                    </span>
                  ) : (
                    <span className="text-zinc-400">{item.status === "approved" ? "Not reported" : "—"}</span>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
