import { HISTORY_STATUS_VALUES, type HistoryStatus } from "@/components/requests/history-status";

export interface HistoryFilters {
  status: HistoryStatus;
  action: string;
}

/** Filters from the URL; anything unexpected falls back to "all". */
export function parseHistoryFilters(params: Record<string, string | string[] | undefined>): HistoryFilters {
  const status = typeof params.status === "string" ? params.status : "all";
  const action = typeof params.action === "string" ? params.action.slice(0, 128) : "";
  return { status: (HISTORY_STATUS_VALUES as readonly string[]).includes(status) ? (status as HistoryStatus) : "all", action };
}
