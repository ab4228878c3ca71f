import Link from "next/link";
import { formatShortDateTime, sentenceCase } from "../format";
import { BotIcon, ChevronRightIcon, LockIcon } from "../ui/icons";
import { ActionLabel } from "./action-label";
import { HiddenCharactersBadge } from "./hidden-characters-warning";
import { RiskScore, RiskSummary } from "./risk-signals";
import { StatusBadge } from "./status-badge";
import { TimeLeft } from "./time-left";
import type { ReviewItem } from "@/lib/schemas/review";
import { VisibleText } from "./visible-text";
import { VoteCount } from "./vote-count";

const COLUMNS = "md:grid-cols-[minmax(0,2.4fr)_minmax(0,1fr)_minmax(0,1.1fr)_5.5rem_7.5rem_1rem]";

/**
 * Requests as a table on wide screens and as stacked cards on phones, from
 * one list (the cells regroup with CSS, so there is one element per request).
 * `mode` picks the last columns: time left for the queue, outcome for history.
 */
export function RequestList({ items, mode }: { items: ReviewItem[]; mode: "queue" | "history" }) {
  return (
    <div className="overflow-hidden rounded-xl border border-zinc-200 bg-white shadow-xs">
      <div
        className={`hidden border-b border-zinc-200 bg-zinc-50/80 px-5 py-2 text-xs font-medium text-zinc-500 md:grid md:gap-4 ${COLUMNS}`}
        aria-hidden="true"
      >
        <span>Request</span>
        <span>Agent</span>
        <span>On behalf of</span>
        <span>{mode === "queue" ? "Approvals" : "Status"}</span>
        <span>{mode === "queue" ? "Time left" : "Decided"}</span>
        <span />
      </div>
      <ul className="divide-y divide-zinc-100" data-testid={mode === "queue" ? "queue" : "history"}>
        {items.map((item) => (
          <li key={item.id}>
            <RequestRow item={item} mode={mode} />
          </li>
        ))}
      </ul>
    </div>
  );
}

function RequestRow({ item, mode }: { item: ReviewItem; mode: "queue" | "history" }) {
  const onBehalfOf = typeof item.context.on_behalf_of === "string" ? item.context.on_behalf_of : null;
  const blocked = mode === "queue" && !item.can_decide && item.cannot_decide_reason;
  return (
    <Link
      href={`/requests/${encodeURIComponent(item.id)}`}
      data-testid="request-row"
      data-request-id={item.id}
      className={`group grid gap-2 px-4 py-3.5 transition-colors hover:bg-zinc-50 md:items-center md:gap-4 md:px-5 ${COLUMNS}`}
    >
      <div className="min-w-0">
        <p className="truncate text-sm font-medium text-zinc-900 md:text-[0.9rem]">
          <VisibleText text={item.summary} />
        </p>
        <div className="mt-1 flex min-w-0 flex-wrap items-center gap-2">
          <ActionLabel action={item.action} resource={item.resource} />
          <RiskScore risk={item.risk} />
          <HiddenCharactersBadge item={item} />
        </div>
        <RiskSummary risk={item.risk} />
        {blocked ? (
          <p className="mt-1.5 inline-flex items-center gap-1 rounded-md bg-amber-50 px-1.5 py-0.5 text-xs text-amber-800" data-testid="cannot-decide">
            <LockIcon className="size-3 shrink-0" />
            {sentenceCase(item.cannot_decide_reason!)}
          </p>
        ) : null}
      </div>

      <div className="flex flex-wrap items-center gap-x-4 gap-y-1 text-xs text-zinc-600 md:contents md:text-sm">
        <span className="inline-flex min-w-0 items-center gap-1.5 md:text-zinc-800">
          <BotIcon className="size-3.5 shrink-0 text-zinc-400" />
          <span className="truncate">{item.agent.name}</span>
        </span>
        <span className="min-w-0 truncate">
          <span className="text-zinc-400 md:hidden">for </span>
          {onBehalfOf !== null ? <VisibleText text={onBehalfOf} /> : <span className="text-zinc-400">—</span>}
        </span>
        {mode === "queue" ? (
          <>
            <VoteCount approvals={item.approvals.length} required={item.policy.approvals_required} />
            <TimeLeft expiresAt={item.expires_at} compact />
          </>
        ) : (
          <>
            <span>
              <StatusBadge status={item.status} />
            </span>
            <span className="tabular-nums text-zinc-500">{item.decision ? formatShortDateTime(item.decision.at) : "—"}</span>
          </>
        )}
        <ChevronRightIcon className="hidden text-zinc-300 transition-colors group-hover:text-zinc-500 md:block" />
      </div>
    </Link>
  );
}
