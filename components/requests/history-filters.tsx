"use client";

import type { HistoryStatus } from "./history-status";

export const HISTORY_STATUS_OPTIONS: { value: HistoryStatus; label: string }[] = [
  { value: "all", label: "All decided" },
  { value: "approved", label: "Approved" },
  { value: "denied", label: "Denied" },
  { value: "expired", label: "Expired" },
  { value: "cancelled", label: "Cancelled" },
];

export interface HistoryFilterValues {
  status: HistoryStatus;
  action: string;
  agent: string;
  from: string;
  to: string;
}

interface HistoryFiltersProps {
  values: HistoryFilterValues;
  onChange(change: Partial<HistoryFilterValues>): void;
}

const control =
  "h-9 rounded-lg border border-zinc-300 bg-white px-3 text-sm text-zinc-900 shadow-xs focus:border-zinc-900 focus:outline-none focus:ring-2 focus:ring-zinc-900/10";

export function HistoryFilters({ values, onChange }: HistoryFiltersProps) {
  return (
    <div className="grid w-full grid-cols-2 gap-2 sm:flex sm:w-auto sm:flex-wrap sm:items-center" role="search">
      <label className="sr-only" htmlFor="history-status">
        Status
      </label>
      <select
        id="history-status"
        value={values.status}
        onChange={(e) => onChange({ status: e.target.value as HistoryStatus })}
        className={`${control} col-span-2 pr-8 sm:col-span-1`}
      >
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
        value={values.action}
        onChange={(e) => onChange({ action: e.target.value })}
        placeholder="Action, e.g. payments.refund"
        spellCheck={false}
        autoCapitalize="off"
        className={`${control} col-span-2 font-mono placeholder:font-sans sm:col-span-1 sm:w-56`}
      />
      <label className="sr-only" htmlFor="history-agent">
        Agent
      </label>
      <input
        id="history-agent"
        type="search"
        value={values.agent}
        onChange={(e) => onChange({ agent: e.target.value })}
        placeholder="Agent name"
        spellCheck={false}
        autoCapitalize="off"
        className={`${control} col-span-2 font-mono placeholder:font-sans sm:col-span-1 sm:w-40`}
      />
      <label className="flex items-center gap-1.5 text-xs text-zinc-500">
        From
        <input
          id="history-from"
          type="date"
          value={values.from}
          max={values.to || undefined}
          onChange={(e) => onChange({ from: e.target.value })}
          className={`${control} min-w-0 flex-1 px-2`}
        />
      </label>
      <label className="flex items-center gap-1.5 text-xs text-zinc-500">
        to
        <input
          id="history-to"
          type="date"
          value={values.to}
          min={values.from || undefined}
          onChange={(e) => onChange({ to: e.target.value })}
          className={`${control} min-w-0 flex-1 px-2`}
        />
      </label>
    </div>
  );
}
