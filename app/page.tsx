import type { Metadata } from "next";
import { requireReviewer } from "./_review/require-reviewer";
import { parseQueueFilters, queueFiltersQuery } from "./_review/queue-filters";
import { QueueView } from "./queue-view";

export const metadata: Metadata = { title: "Queue" };

export default async function QueuePage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const filters = parseQueueFilters(await searchParams);
  const query = queueFiltersQuery(filters);
  // Back to the same filtered view after signing in.
  await requireReviewer(`/${query}`);
  // A navigation to other filters (a link, back/forward) starts the view afresh from them.
  return <QueueView key={query} initialFilters={filters} />;
}
