import type { Metadata } from "next";
import { requireReviewer } from "./_review/require-reviewer";
import { QueueView } from "./queue-view";

export const metadata: Metadata = { title: "Queue" };

export default async function QueuePage() {
  await requireReviewer("/");
  return <QueueView />;
}
