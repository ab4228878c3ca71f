"use client";

import Link from "next/link";
import { useEffect } from "react";
import { RequestList } from "@/components/requests/request-list";
import { EmptyState } from "@/components/ui/empty-state";
import { InboxIcon } from "@/components/ui/icons";
import { ListSkeleton } from "@/components/ui/list-skeleton";
import { LoadError } from "@/components/ui/load-error";
import { PageHeader } from "@/components/ui/page-header";
import { usePendingRequests, type QueueSort } from "./_review/review-api";

/** The pending queue, kept current by the review stream; newest first, or highest risk first (`/?sort=risk`). */
export function QueueView({ sort }: { sort: QueueSort }) {
  const { items, error, isPending, refetch } = usePendingRequests(sort);
  const count = items ? items.length : null;

  useEffect(() => {
    document.title = count ? `(${count}) Queue · Countersign` : "Queue · Countersign";
  }, [count]);

  return (
    <>
      <PageHeader
        title="Queue"
        description={
          count === null || count === 0
            ? "Requests from agents waiting for a decision."
            : count === 1
              ? "1 request waiting for a decision."
              : `${count} requests waiting for a decision.`
        }
      >
        <SortToggle sort={sort} />
      </PageHeader>
      {error && !items ? (
        <LoadError what="the queue" message={error.message} onRetry={() => void refetch()} />
      ) : isPending ? (
        <ListSkeleton />
      ) : !items || items.length === 0 ? (
        <div className="rounded-xl border border-dashed border-zinc-300 bg-white">
          <EmptyState icon={<InboxIcon className="size-5" />} title="No pending requests">
            New requests from agents appear here as they arrive; no need to reload.
          </EmptyState>
        </div>
      ) : (
        <RequestList items={items} mode="queue" />
      )}
    </>
  );
}

function SortToggle({ sort }: { sort: QueueSort }) {
  const option = (value: QueueSort, label: string) => (
    <Link
      href={value === "risk" ? "/?sort=risk" : "/"}
      replace
      scroll={false}
      aria-current={sort === value ? "true" : undefined}
      className={`rounded-md px-2.5 py-1 transition-colors ${sort === value ? "bg-white font-medium text-zinc-900 shadow-xs ring-1 ring-zinc-200" : "text-zinc-500 hover:text-zinc-900"}`}
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
