import type { AgentStatus } from "@/lib/schemas/admin-objects";

const STYLES: Record<AgentStatus, { label: string; className: string; dot: string }> = {
  active: { label: "Active", className: "bg-emerald-50 text-emerald-800 ring-emerald-600/20", dot: "bg-emerald-500" },
  suspended: { label: "Suspended", className: "bg-red-50 text-red-800 ring-red-600/20", dot: "bg-red-500" },
  retired: { label: "Retired", className: "bg-zinc-100 text-zinc-700 ring-zinc-500/20", dot: "bg-zinc-400" },
};

export function AgentStatusBadge({ status }: { status: AgentStatus }) {
  const s = STYLES[status];
  return (
    <span
      data-testid="agent-status"
      data-status={status}
      className={`inline-flex items-center gap-1.5 rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset ${s.className}`}
    >
      <span className={`size-1.5 rounded-full ${s.dot}`} aria-hidden="true" />
      {s.label}
    </span>
  );
}
