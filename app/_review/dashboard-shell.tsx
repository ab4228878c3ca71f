import { AppHeader, BareHeader } from "@/components/shell/app-header";
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

/**
 * The frame while the account's password is one-time: no navigation, queue or
 * live stream (the server refuses them until the password is changed), only
 * sign-out.
 */
export function OneTimePasswordShell({ children }: { children: React.ReactNode }) {
  return (
    <>
      <BareHeader />
      <main className="mx-auto max-w-7xl px-4 py-6 sm:px-6 sm:py-8">{children}</main>
    </>
  );
}
