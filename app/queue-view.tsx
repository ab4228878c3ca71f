"use client";

import { useEffect } from "react";
import { RequestList } from "@/components/requests/request-list";
import { EmptyState } from "@/components/ui/empty-state";
import { InboxIcon } from "@/components/ui/icons";
import { ListSkeleton } from "@/components/ui/list-skeleton";
import { LoadError } from "@/components/ui/load-error";
import { PageHeader } from "@/components/ui/page-header";
import { usePendingRequests } from "./_review/review-api";

/** The pending queue, kept current by the review stream. */
export function QueueView() {
  const { items, error, isPending, refetch } = usePendingRequests();
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
      />
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
