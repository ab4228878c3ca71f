import type { RequestStatus } from "@/lib/schemas/requests";

const STYLES: Record<RequestStatus, { label: string; className: string; dot: string }> = {
  pending: { label: "Pending", className: "bg-amber-50 text-amber-800 ring-amber-600/20", dot: "bg-amber-500" },
  approved: { label: "Approved", className: "bg-emerald-50 text-emerald-800 ring-emerald-600/20", dot: "bg-emerald-500" },
  denied: { label: "Denied", className: "bg-red-50 text-red-800 ring-red-600/20", dot: "bg-red-500" },
  expired: { label: "Expired", className: "bg-zinc-100 text-zinc-700 ring-zinc-500/20", dot: "bg-zinc-400" },
  cancelled: { label: "Cancelled", className: "bg-zinc-100 text-zinc-700 ring-zinc-500/20", dot: "bg-zinc-400" },
};

export function StatusBadge({ status }: { status: RequestStatus }) {
  const s = STYLES[status];
  return (
    <span
      data-testid="status-badge"
      className={`inline-flex items-center gap-1.5 rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset ${s.className}`}
    >
      <span className={`size-1.5 rounded-full ${s.dot}`} aria-hidden="true" />
      {s.label}
    </span>
  );
}
