"use client";

import { usePendingRequests } from "./review-api";

/** The number of pending requests, beside "Queue" in the navigation. */
export function QueueCount() {
  const { items } = usePendingRequests();
  if (!items) return null;
  return (
    <span
      data-testid="queue-count"
      className={`min-w-5 rounded-full px-1.5 text-center text-xs font-semibold tabular-nums ${items.length > 0 ? "bg-zinc-900 text-white" : "bg-zinc-200 text-zinc-600"}`}
    >
      {items.length}
    </span>
  );
}
