import type { ReviewItem } from "@/lib/schemas/review";
import type { QueueSort } from "./review-api";

/** A request "expires soon" with less than this left: highlighted in the queue, and a filter. */
export const EXPIRING_SOON_MS = 10 * 60_000;

/** The queue's filters, kept in the URL (`/?agent=…&action=…&decidable=1&expiring=1&sort=risk`) so a view can be shared or reloaded. */
export interface QueueFilters {
  sort: QueueSort;
  agent: string | null;
  action: string | null;
  /** Only the requests this reviewer may decide now (`can_decide`). */
  decidable: boolean;
  /** Only those with less than ten minutes left. */
  expiring: boolean;
}

type Params = Record<string, string | string[] | undefined>;

const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v) || null;

export function parseQueueFilters(params: Params): QueueFilters {
  return {
    sort: one(params.sort) === "risk" ? "risk" : "newest",
    agent: one(params.agent),
    action: one(params.action),
    decidable: one(params.decidable) === "1",
    expiring: one(params.expiring) === "1",
  };
}

export function queueFiltersQuery(f: QueueFilters): string {
  const q = new URLSearchParams();
  if (f.agent) q.set("agent", f.agent);
  if (f.action) q.set("action", f.action);
  if (f.decidable) q.set("decidable", "1");
  if (f.expiring) q.set("expiring", "1");
  if (f.sort === "risk") q.set("sort", "risk");
  const s = q.toString();
  return s ? `?${s}` : "";
}

export function isExpiringSoon(item: Pick<ReviewItem, "expires_at">, now: number | null): boolean {
  if (now === null) return false;
  const left = new Date(item.expires_at).getTime() - now;
  return left > 0 && left < EXPIRING_SOON_MS;
}

export function filterQueue(items: ReviewItem[], f: QueueFilters, now: number | null): ReviewItem[] {
  return items.filter(
    (r) =>
      (!f.agent || r.agent.name === f.agent) &&
      (!f.action || r.action === f.action) &&
      (!f.decidable || r.can_decide) &&
      (!f.expiring || isExpiringSoon(r, now)),
  );
}
