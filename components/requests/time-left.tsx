"use client";

import { formatDuration } from "../format";
import { ClockIcon } from "../ui/icons";
import { useNow } from "../use-now";

/** A ticking countdown to a pending request's expiry; urgent colours in the last two minutes. */
export function TimeLeft({ expiresAt, compact = false }: { expiresAt: string; compact?: boolean }) {
  const now = useNow();
  if (now === null) return <span className="text-zinc-400">—</span>;
  const left = new Date(expiresAt).getTime() - now;
  const tone = left <= 0 ? "text-zinc-500" : left < 30_000 ? "text-red-700" : left < 120_000 ? "text-amber-700" : "text-zinc-700";
  return (
    <span className={`inline-flex items-center gap-1 tabular-nums ${tone}`} title={new Date(expiresAt).toISOString()}>
      <ClockIcon className="size-3.5 shrink-0 opacity-70" />
      {left <= 0 ? "Expired" : compact ? formatDuration(left) : `${formatDuration(left)} left`}
    </span>
  );
}
