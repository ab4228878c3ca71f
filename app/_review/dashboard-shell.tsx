import { AppHeader } from "@/components/shell/app-header";
import { QueryProvider } from "./query-provider";
import { NewWorkNotifier } from "./new-work-notifier";
import { QueueCount } from "./queue-count";
import { ReviewStream } from "./review-stream";

/** The signed-in frame around every dashboard page: header, live stream, query cache. */
export function DashboardShell({ reviewer, children }: { reviewer: { email: string; role: string }; children: React.ReactNode }) {
  return (
    <QueryProvider>
      <AppHeader reviewer={reviewer} queueCount={<QueueCount />} live={<ReviewStream />} />
      <NewWorkNotifier />
      <main className="mx-auto max-w-7xl px-4 py-6 sm:px-6 sm:py-8">{children}</main>
    </QueryProvider>
  );
}
