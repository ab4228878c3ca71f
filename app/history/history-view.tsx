"use client";

import { usePathname, useRouter } from "next/navigation";
import { useEffect, useState } from "react";
import { HistoryFilters } from "@/components/requests/history-filters";
import type { HistoryStatus } from "@/components/requests/history-status";
import { RequestList } from "@/components/requests/request-list";
import { EmptyState } from "@/components/ui/empty-state";
import { InboxIcon, SpinnerIcon } from "@/components/ui/icons";
import { ListSkeleton } from "@/components/ui/list-skeleton";
import { LoadError } from "@/components/ui/load-error";
import { PageHeader } from "@/components/ui/page-header";
import { useSettled } from "@/components/use-settled";
import { useHistory } from "../_review/review-api";
import type { HistoryFilters as Filters } from "./filters";

/** Decided requests, filterable by status and action, a page at a time; filters live in the URL. */
export function HistoryView({ initial }: { initial: Filters }) {
  const router = useRouter();
  const pathname = usePathname();
  const [status, setStatus] = useState<HistoryStatus>(initial.status);
  const [action, setAction] = useState(initial.action);
  const deferredAction = useSettled(action.trim(), 300);
  const filters: Filters = { status, action: deferredAction };
  const { data, error, isPending, refetch, fetchNextPage, hasNextPage, isFetchingNextPage } = useHistory(filters);

  useEffect(() => {
    const q = new URLSearchParams();
    if (status !== "all") q.set("status", status);
    if (deferredAction) q.set("action", deferredAction);
    router.replace(q.size ? `${pathname}?${q}` : pathname, { scroll: false });
  }, [status, deferredAction, pathname, router]);

  const items = data?.pages.flatMap((p) => p.data) ?? [];

  return (
    <>
      <PageHeader title="History" description="Requests that were approved, denied, expired or cancelled.">
        <HistoryFilters status={status} action={action} onStatusChange={setStatus} onActionChange={setAction} />
      </PageHeader>
      {error && !data ? (
        <LoadError what="the history" message={error.message} onRetry={() => void refetch()} />
      ) : isPending ? (
        <ListSkeleton rows={6} />
      ) : items.length === 0 && !hasNextPage ? (
        <div className="rounded-xl border border-dashed border-zinc-300 bg-white">
          <EmptyState icon={<InboxIcon className="size-5" />} title="No decided requests">
            {status !== "all" || deferredAction ? "Nothing matches these filters." : "Decisions will be listed here."}
          </EmptyState>
        </div>
      ) : (
        <>
          {items.length ? <RequestList items={items} mode="history" /> : null}
          {hasNextPage ? (
            <div className="mt-4 flex justify-center">
              <button
                type="button"
                onClick={() => void fetchNextPage()}
                disabled={isFetchingNextPage}
                className="inline-flex h-9 items-center gap-2 rounded-lg border border-zinc-300 bg-white px-4 text-sm font-medium text-zinc-800 shadow-xs hover:bg-zinc-50 disabled:opacity-60"
              >
                {isFetchingNextPage ? <SpinnerIcon /> : null}
                Load more
              </button>
            </div>
          ) : null}
        </>
      )}
    </>
  );
}
