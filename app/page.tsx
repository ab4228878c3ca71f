import type { Metadata } from "next";
import { requireReviewer } from "./_review/require-reviewer";
import { QueueView } from "./queue-view";

export const metadata: Metadata = { title: "Queue" };

export default async function QueuePage({ searchParams }: { searchParams: Promise<{ sort?: string | string[] }> }) {
  await requireReviewer("/");
  const { sort } = await searchParams;
  return <QueueView sort={sort === "risk" ? "risk" : "newest"} />;
}
