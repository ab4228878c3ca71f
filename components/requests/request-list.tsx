"use client";

import Link from "next/link";
import { formatShortDateTime, sentenceCase } from "../format";
import { BotIcon, CheckIcon, ChevronRightIcon, LockIcon } from "../ui/icons";
import { ActionLabel } from "./action-label";
import { HiddenCharactersBadge } from "./hidden-characters-warning";
import { RiskScore, RiskSummary } from "./risk-signals";
import { StatusBadge } from "./status-badge";
import { TimeLeft } from "./time-left";
import type { ReviewItem } from "@/lib/schemas/review";
import { VisibleText } from "./visible-text";
import { VoteCount } from "./vote-count";
import { useNow } from "../use-now";

/** Less than this left: the row is flagged "Expires soon". */
const EXPIRING_SOON_MS = 10 * 60_000;

/** The queue's keyboard triage: which rows are selected and which one has focus. */
export interface RowSelection {
  selected: ReadonlySet<string>;
  focusedId: string | null;
  onToggle(id: string): void;
  onFocusRow(id: string): void;
}

const COLUMNS = "md:grid-cols-[minmax(0,2.4fr)_minmax(0,1fr)_minmax(0,1.1fr)_5.5rem_7.5rem_1rem]";

/**
 * Requests as a table on wide screens and as stacked cards on phones, from
 * one list (the cells regroup with CSS, so there is one element per request).
 * `mode` picks the last columns: time left for the queue, outcome for history.
 */
export function RequestList({ items, mode, selection }: { items: ReviewItem[]; mode: "queue" | "history"; selection?: RowSelection }) {
  return (
    <div className="overflow-hidden rounded-xl border border-zinc-200 bg-white shadow-xs">
      <div
        className={`hidden border-b border-zinc-200 bg-zinc-50/80 py-2 pr-5 text-xs font-medium text-zinc-500 md:grid md:gap-4 ${selection ? "pl-14" : "pl-5"} ${COLUMNS}`}
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
          <RequestRow key={item.id} item={item} mode={mode} selection={selection} />
        ))}
      </ul>
    </div>
  );
}

function RequestRow({ item, mode, selection }: { item: ReviewItem; mode: "queue" | "history"; selection?: RowSelection }) {
  const now = useNow();
  const onBehalfOf = typeof item.context.on_behalf_of === "string" ? item.context.on_behalf_of : null;
  const blocked = mode === "queue" && !item.can_decide && item.cannot_decide_reason;
  const left = now === null ? null : new Date(item.expires_at).getTime() - now;
  const expiringSoon = mode === "queue" && left !== null && left > 0 && left < EXPIRING_SOON_MS;
  const focused = selection?.focusedId === item.id;
  const selected = selection?.selected.has(item.id) ?? false;
  const link = (
    <Link
      href={`/requests/${encodeURIComponent(item.id)}`}
      data-testid="request-row"
      data-request-id={item.id}
      data-focused={focused ? "true" : undefined}
      data-expiring={expiringSoon ? "true" : undefined}
      onFocus={selection ? () => selection.onFocusRow(item.id) : undefined}
      className={`group grid min-w-0 flex-1 gap-2 py-3.5 transition-colors hover:bg-zinc-50 focus-visible:outline-none md:items-center md:gap-4 ${selection ? "pr-4 pl-1 md:pr-5" : "px-4 md:px-5"} ${COLUMNS}`}
    >
      <div className="min-w-0">
        <p className="truncate text-sm font-medium text-zinc-900 md:text-[0.9rem]">
          <VisibleText text={item.summary} />
        </p>
        <div className="mt-1 flex min-w-0 flex-wrap items-center gap-2">
          <ActionLabel action={item.action} resource={item.resource} />
          <RiskScore risk={item.risk} />
          <HiddenCharactersBadge item={item} />
          {expiringSoon ? (
            <span
              className="inline-flex items-center rounded-md bg-amber-100 px-1.5 py-0.5 text-xs font-medium text-amber-900 ring-1 ring-inset ring-amber-300"
              data-testid="expiring-soon"
            >
              Expires soon
            </span>
          ) : null}
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
          {onBehalfOf !== null && item.context.on_behalf_of_verified === true ? (
            <span
              data-testid="row-on-behalf-of-verified"
              title="Verified by an ID token from a trusted issuer"
              className="ml-1 inline-flex align-[-2px] text-emerald-600"
            >
              <CheckIcon className="size-3.5" />
              <span className="sr-only">(verified)</span>
            </span>
          ) : null}
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
  const tint = selected ? "bg-sky-50/70" : expiringSoon ? "bg-amber-50/60" : "";
  const bar = focused ? "shadow-[inset_3px_0_0_0_var(--color-sky-600)]" : expiringSoon ? "shadow-[inset_3px_0_0_0_var(--color-amber-400)]" : "";
  if (!selection) return <li className={`${tint} ${bar}`}>{link}</li>;
  return (
    <li className={`flex items-stretch ${tint} ${bar}`} data-selected={selected ? "true" : undefined}>
      <div className="flex w-11 shrink-0 items-start justify-center pt-4 md:w-13 md:items-center md:pt-0">
        {item.can_decide ? (
          <input
            type="checkbox"
            checked={selected}
            onChange={() => selection.onToggle(item.id)}
            aria-label={`Select: ${item.summary}`}
            data-testid="select-row"
            tabIndex={-1}
            className="size-4 cursor-pointer rounded border-zinc-300 accent-zinc-900"
          />
        ) : null}
      </div>
      {link}
    </li>
  );
}
