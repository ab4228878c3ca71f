"use client";

import { usePendingRequests } from "./review-api";

/**
 * Beside "Queue" in the navigation: how many pending requests await this
 * user's decision (not the ones they cannot decide, or voted on already).
 */
export function QueueCount() {
  const { items } = usePendingRequests();
  if (!items) return null;
  const mine = items.filter((r) => r.can_decide).length;
  const label = `${mine} awaiting your decision, ${items.length} pending in all`;
  return (
    <span
      data-testid="queue-count"
      title={label}
      className={`min-w-5 rounded-full px-1.5 text-center text-xs font-semibold tabular-nums ${mine > 0 ? "bg-zinc-900 text-white" : "bg-zinc-200 text-zinc-600"}`}
    >
      {mine}
      <span className="sr-only"> awaiting you</span>
    </span>
  );
}
