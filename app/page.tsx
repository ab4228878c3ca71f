import type { Metadata } from "next";
import { requireReviewer } from "./_review/require-reviewer";
import { parseQueueFilters } from "./_review/queue-filters";
import { QueueView } from "./queue-view";

export const metadata: Metadata = { title: "Queue" };

export default async function QueuePage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  await requireReviewer("/");
  return <QueueView initialFilters={parseQueueFilters(await searchParams)} />;
}
