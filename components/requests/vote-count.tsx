/** Approvals so far against the number the matching rule requires, e.g. "1 of 2". */
export function VoteCount({ approvals, required }: { approvals: number; required: number }) {
  const pct = required > 0 ? Math.min(100, (approvals / required) * 100) : 0;
  return (
    <span className="inline-flex items-center gap-2" title={`${approvals} of ${required} approvals`}>
      <span className="tabular-nums text-zinc-700">
        {approvals} of {required}
      </span>
      <span className="h-1 w-8 overflow-hidden rounded-full bg-zinc-200" aria-hidden="true">
        <span className="block h-full rounded-full bg-emerald-500" style={{ width: `${pct}%` }} />
      </span>
    </span>
  );
}
