"use client";

import type { HistoryStatus } from "./history-status";

export const HISTORY_STATUS_OPTIONS: { value: HistoryStatus; label: string }[] = [
  { value: "all", label: "All decided" },
  { value: "approved", label: "Approved" },
  { value: "denied", label: "Denied" },
  { value: "expired", label: "Expired" },
  { value: "cancelled", label: "Cancelled" },
];

interface HistoryFiltersProps {
  status: HistoryStatus;
  action: string;
  onStatusChange(status: HistoryStatus): void;
  onActionChange(action: string): void;
}

const control =
  "h-9 rounded-lg border border-zinc-300 bg-white px-3 text-sm text-zinc-900 shadow-xs focus:border-zinc-900 focus:outline-none focus:ring-2 focus:ring-zinc-900/10";

export function HistoryFilters({ status, action, onStatusChange, onActionChange }: HistoryFiltersProps) {
  return (
    <div className="flex w-full flex-col gap-2 sm:w-auto sm:flex-row sm:items-center" role="search">
      <label className="sr-only" htmlFor="history-status">
        Status
      </label>
      <select id="history-status" value={status} onChange={(e) => onStatusChange(e.target.value as HistoryStatus)} className={`${control} pr-8`}>
        {HISTORY_STATUS_OPTIONS.map((s) => (
          <option key={s.value} value={s.value}>
            {s.label}
          </option>
        ))}
      </select>
      <label className="sr-only" htmlFor="history-action">
        Action
      </label>
      <input
        id="history-action"
        type="search"
        value={action}
        onChange={(e) => onActionChange(e.target.value)}
        placeholder="Action, e.g. payments.refund"
        spellCheck={false}
        autoCapitalize="off"
        className={`${control} font-mono placeholder:font-sans sm:w-64`}
      />
    </div>
  );
}
