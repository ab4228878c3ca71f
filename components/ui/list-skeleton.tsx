/** Placeholder rows while a list loads. */
export function ListSkeleton({ rows = 4 }: { rows?: number }) {
  return (
    <div className="overflow-hidden rounded-xl border border-zinc-200 bg-white shadow-xs" aria-busy="true" aria-label="Loading">
      {Array.from({ length: rows }, (_, i) => (
        <div key={i} className="flex items-center gap-4 border-b border-zinc-100 px-5 py-4 last:border-0">
          <div className="flex-1 space-y-2">
            <div className="h-3.5 w-2/3 animate-pulse rounded bg-zinc-200" />
            <div className="h-3 w-1/3 animate-pulse rounded bg-zinc-100" />
          </div>
          <div className="hidden h-3 w-24 animate-pulse rounded bg-zinc-100 md:block" />
          <div className="hidden h-3 w-16 animate-pulse rounded bg-zinc-100 md:block" />
        </div>
      ))}
    </div>
  );
}
