import type { Metadata } from "next";
import { requireReviewer } from "../_review/require-reviewer";
import { parseHistoryFilters } from "./filters";
import { HistoryView } from "./history-view";

export const metadata: Metadata = { title: "History" };

export default async function HistoryPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const filters = parseHistoryFilters(await searchParams);
  await requireReviewer("/history");
  return <HistoryView initial={filters} />;
}
