import { HISTORY_STATUS_VALUES, type HistoryStatus } from "@/components/requests/history-status";

export interface HistoryFilters {
  status: HistoryStatus;
  action: string;
  /** An agent's name. */
  agent: string;
  /** Days (`YYYY-MM-DD`, UTC), inclusive; empty for open-ended. */
  from: string;
  to: string;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const day = (v: unknown) => (typeof v === "string" && DAY.test(v) && !Number.isNaN(Date.parse(`${v}T00:00:00Z`)) ? v : "");

/** Filters from the URL; anything unexpected falls back to "all". */
export function parseHistoryFilters(params: Record<string, string | string[] | undefined>): HistoryFilters {
  const status = typeof params.status === "string" ? params.status : "all";
  const action = typeof params.action === "string" ? params.action.slice(0, 128) : "";
  const agent = typeof params.agent === "string" ? params.agent.slice(0, 64) : "";
  return {
    status: (HISTORY_STATUS_VALUES as readonly string[]).includes(status) ? (status as HistoryStatus) : "all",
    action,
    agent,
    from: day(params.from),
    to: day(params.to),
  };
}

/** The filters as a query string (only those set), for the URL and the API alike. */
export function historyQuery(f: HistoryFilters): URLSearchParams {
  const q = new URLSearchParams();
  if (f.status !== "all") q.set("status", f.status);
  if (f.action) q.set("action", f.action);
  if (f.agent) q.set("agent", f.agent);
  if (f.from) q.set("from", f.from);
  if (f.to) q.set("to", f.to);
  return q;
}
