"use client";

import Link from "next/link";
import { type DecisionItemResult, resultLabel } from "@/components/requests/decision-confirm";
import type { Decision } from "@/components/requests/decision-form";
import { VisibleText } from "@/components/requests/visible-text";
import { CheckIcon, XIcon } from "@/components/ui/icons";
import type { ReviewItem } from "@/lib/schemas/review";
import type { QueueFilters } from "./_review/queue-filters";
import { queueFiltersQuery } from "./_review/queue-filters";
import type { QueueSort } from "./_review/review-api";

const SELECT =
  "h-9 min-w-0 max-w-[14rem] rounded-lg border border-zinc-300 bg-white px-2.5 text-sm text-zinc-800 shadow-xs focus:border-zinc-900 focus:outline-none focus:ring-2 focus:ring-zinc-900/10";
const TOGGLE =
  "inline-flex h-9 cursor-pointer items-center gap-2 rounded-lg border border-zinc-300 bg-white px-3 text-sm text-zinc-700 shadow-xs has-checked:border-zinc-900 has-checked:bg-zinc-900 has-checked:text-white";

/** Filters (agent, action, "I can decide", expiring soon), the sort, and select-all for the visible decidable rows. */
export function QueueToolbar({
  items,
  filters,
  onChange,
  shown,
  decidable,
  selectedCount,
  onSelectAll,
}: {
  items: ReviewItem[];
  filters: QueueFilters;
  onChange(f: QueueFilters): void;
  shown: number;
  decidable: ReviewItem[];
  selectedCount: number;
  onSelectAll(all: boolean): void;
}) {
  const agents = [...new Set(items.map((r) => r.agent.name))].sort();
  const actions = [...new Set(items.map((r) => r.action))].sort();
  // A filter value from the URL that no pending request has any more stays selectable.
  if (filters.agent && !agents.includes(filters.agent)) agents.unshift(filters.agent);
  if (filters.action && !actions.includes(filters.action)) actions.unshift(filters.action);
  const all = decidable.length > 0 && selectedCount === decidable.length;
  return (
    <div className="mb-3 space-y-3" data-testid="queue-toolbar">
      <div className="flex flex-wrap items-center gap-2">
        <label className="sr-only" htmlFor="filter-agent">
          Agent
        </label>
        <select id="filter-agent" className={SELECT} value={filters.agent ?? ""} onChange={(e) => onChange({ ...filters, agent: e.target.value || null })}>
          <option value="">All agents</option>
          {agents.map((a) => (
            <option key={a} value={a}>
              {a}
            </option>
          ))}
        </select>
        <label className="sr-only" htmlFor="filter-action">
          Action
        </label>
        <select id="filter-action" className={SELECT} value={filters.action ?? ""} onChange={(e) => onChange({ ...filters, action: e.target.value || null })}>
          <option value="">All actions</option>
          {actions.map((a) => (
            <option key={a} value={a}>
              {a}
            </option>
          ))}
        </select>
        <label className={TOGGLE}>
          <input
            type="checkbox"
            className="sr-only"
            checked={filters.decidable}
            onChange={(e) => onChange({ ...filters, decidable: e.target.checked })}
            data-testid="filter-decidable"
          />
          I can decide
        </label>
        <label className={TOGGLE}>
          <input
            type="checkbox"
            className="sr-only"
            checked={filters.expiring}
            onChange={(e) => onChange({ ...filters, expiring: e.target.checked })}
            data-testid="filter-expiring"
          />
          Expiring soon
        </label>
        <div className="ml-auto">
          <SortToggle filters={filters} onChange={onChange} />
        </div>
      </div>
      <div className="flex flex-wrap items-center justify-between gap-2 px-1 text-sm text-zinc-600">
        <label className="inline-flex cursor-pointer items-center gap-2 has-disabled:cursor-not-allowed has-disabled:opacity-50">
          <input
            type="checkbox"
            className="size-4 accent-zinc-900"
            checked={all}
            disabled={decidable.length === 0}
            onChange={(e) => onSelectAll(e.target.checked)}
            data-testid="select-all"
          />
          Select all I can decide ({decidable.length})
        </label>
        <span data-testid="queue-shown">
          {shown === items.length ? `${shown} shown` : `${shown} of ${items.length} shown`}
          <span className="hidden md:inline">
            {" "}
            · <kbd className="font-mono text-xs">j</kbd>/<kbd className="font-mono text-xs">k</kbd> move, <kbd className="font-mono text-xs">x</kbd> select,{" "}
            <kbd className="font-mono text-xs">a</kbd>/<kbd className="font-mono text-xs">d</kbd> decide
          </span>
        </span>
      </div>
    </div>
  );
}

function SortToggle({ filters, onChange }: { filters: QueueFilters; onChange(f: QueueFilters): void }) {
  const option = (value: QueueSort, label: string) => (
    <Link
      href={`/${queueFiltersQuery({ ...filters, sort: value })}`}
      replace
      scroll={false}
      onClick={(e) => {
        e.preventDefault();
        onChange({ ...filters, sort: value });
      }}
      aria-current={filters.sort === value ? "true" : undefined}
      className={`rounded-md px-2.5 py-1 transition-colors ${filters.sort === value ? "bg-white font-medium text-zinc-900 shadow-xs ring-1 ring-zinc-200" : "text-zinc-500 hover:text-zinc-900"}`}
    >
      {label}
    </Link>
  );
  return (
    <nav aria-label="Sort the queue" className="inline-flex items-center gap-0.5 rounded-lg bg-zinc-100 p-0.5 text-sm" data-testid="queue-sort">
      {option("newest", "Newest")}
      {option("risk", "Highest risk")}
    </nav>
  );
}

/** Sticky at the bottom while rows are selected: decide them together. */
export function BatchBar({ count, onApprove, onDeny, onClear }: { count: number; onApprove(): void; onDeny(): void; onClear(): void }) {
  return (
    <div
      className="sticky bottom-0 z-10 -mx-4 mt-4 border-t border-zinc-200 bg-white/95 px-4 py-3 shadow-[0_-4px_12px_-6px_rgb(0_0_0/0.12)] backdrop-blur sm:mx-0 sm:rounded-xl sm:border"
      data-testid="batch-bar"
    >
      <div className="flex flex-wrap items-center gap-2">
        <span className="w-full text-sm font-medium text-zinc-800 sm:mr-auto sm:w-auto">
          {count} selected{" "}
          <button type="button" onClick={onClear} className="ml-1 font-normal text-zinc-500 underline underline-offset-2 hover:text-zinc-900">
            Clear
          </button>
        </span>
        <button
          type="button"
          onClick={onDeny}
          className="inline-flex h-10 flex-1 items-center justify-center gap-1.5 rounded-lg border border-zinc-300 bg-white px-4 text-sm font-medium text-red-700 shadow-xs hover:border-red-300 hover:bg-red-50 sm:flex-none"
        >
          <XIcon />
          Deny {count}
        </button>
        <button
          type="button"
          onClick={onApprove}
          className="inline-flex h-10 flex-1 items-center justify-center gap-1.5 rounded-lg bg-emerald-600 px-4 text-sm font-medium text-white shadow-xs hover:bg-emerald-700 sm:flex-none"
        >
          <CheckIcon />
          Approve {count}
        </button>
      </div>
    </div>
  );
}

/** What the last batch did, item by item, above the queue until dismissed. */
export function BatchResults({
  decision,
  items,
  results,
  onDismiss,
}: {
  decision: Decision;
  items: ReviewItem[];
  results: DecisionItemResult[];
  onDismiss(): void;
}) {
  const byId = new Map(items.map((r) => [r.id, r]));
  const ok = results.filter((r) => r.status === 200).length;
  return (
    <section
      role="status"
      aria-label="Last decision"
      className="mb-3 rounded-xl border border-emerald-200 bg-emerald-50/70 px-4 py-3 text-sm text-emerald-950"
      data-testid="batch-results"
    >
      <div className="flex items-start justify-between gap-3">
        <p className="font-medium">
          {decision === "approve" ? "Approved" : "Denied"}: {ok} of {results.length} {results.length === 1 ? "request" : "requests"}
        </p>
        <button type="button" onClick={onDismiss} className="text-emerald-800 underline underline-offset-2 hover:text-emerald-950">
          Dismiss
        </button>
      </div>
      <ul className="mt-1.5 space-y-0.5">
        {results.map((r) => {
          const label = resultLabel(r);
          const item = byId.get(r.id);
          return (
            <li key={r.id} className="flex min-w-0 items-center gap-1.5" data-testid="batch-result" data-status={r.status}>
              {label.ok ? <CheckIcon className="size-3.5 shrink-0 text-emerald-700" /> : <XIcon className="size-3.5 shrink-0 text-red-700" />}
              <Link href={`/requests/${encodeURIComponent(r.id)}`} className="min-w-0 truncate underline decoration-emerald-300 underline-offset-2">
                {item ? <VisibleText text={item.summary} /> : r.id}
              </Link>
              <span className={`shrink-0 ${label.ok ? "text-emerald-800" : "text-red-700"}`}>· {label.text}</span>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
