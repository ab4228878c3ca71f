"use client";

import { usePathname, useRouter } from "next/navigation";
import { useEffect, useState } from "react";
import { HistoryFilters, type HistoryFilterValues } from "@/components/requests/history-filters";
import { HistoryTable } from "@/components/requests/history-table";
import { EmptyState } from "@/components/ui/empty-state";
import { InboxIcon, SpinnerIcon } from "@/components/ui/icons";
import { ListSkeleton } from "@/components/ui/list-skeleton";
import { LoadError } from "@/components/ui/load-error";
import { PageHeader } from "@/components/ui/page-header";
import { useSettled } from "@/components/use-settled";
import { useHistory } from "../_review/review-api";
import { type HistoryFilters as Filters, historyQuery } from "./filters";

/** Decided requests, filterable by status, action, agent and days, a page at a time; filters live in the URL. */
export function HistoryView({ initial }: { initial: Filters }) {
  const router = useRouter();
  const pathname = usePathname();
  const [values, setValues] = useState<HistoryFilterValues>(initial);
  // Typed text settles before it is asked for; choices apply at once.
  const action = useSettled(values.action.trim(), 300);
  const agent = useSettled(values.agent.trim(), 300);
  const filters: Filters = { status: values.status, action, agent, from: values.from, to: values.to };
  const { data, error, isPending, refetch, fetchNextPage, hasNextPage, isFetchingNextPage } = useHistory(filters);
  const query = historyQuery(filters).toString();

  useEffect(() => {
    router.replace(query ? `${pathname}?${query}` : pathname, { scroll: false });
  }, [query, pathname, router]);

  const items = data?.pages.flatMap((p) => p.data) ?? [];
  const filtered = query !== "";

  return (
    <>
      <PageHeader title="History" description="Requests that were approved, denied, expired or cancelled: who decided, why, and what was done.">
        <HistoryFilters values={values} onChange={(change) => setValues((v) => ({ ...v, ...change }))} />
      </PageHeader>
      {error && !data ? (
        <LoadError what="the history" message={error.message} onRetry={() => void refetch()} />
      ) : isPending ? (
        <ListSkeleton rows={6} />
      ) : items.length === 0 && !hasNextPage ? (
        <div className="rounded-xl border border-dashed border-zinc-300 bg-white">
          <EmptyState icon={<InboxIcon className="size-5" />} title="No decided requests">
            {filtered ? "Nothing matches these filters." : "Decisions will be listed here."}
          </EmptyState>
        </div>
      ) : (
        <>
          {items.length ? <HistoryTable items={items} /> : null}
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
