import { EmptyState } from "@/components/ui/empty-state";
import { BotIcon, SpinnerIcon } from "@/components/ui/icons";
import { LoadError } from "@/components/ui/load-error";
import { ProblemError } from "@/app/_review/review-api";

/** What an agent page shows until its agent has loaded: a spinner, "No such agent", or the error with a retry. */
export function AgentNotLoaded({ error, isPending, onRetry }: { error: Error | null; isPending: boolean; onRetry: () => void }) {
  if (error instanceof ProblemError && error.status === 404) return <EmptyState icon={<BotIcon className="size-5" />} title="No such agent" />;
  if (error) return <LoadError what="this agent" message={error.message} onRetry={onRetry} />;
  if (!isPending) return null;
  return (
    <div className="flex items-center gap-2 py-16 text-sm text-zinc-500" aria-busy="true">
      <SpinnerIcon /> Loading agent…
    </div>
  );
}
