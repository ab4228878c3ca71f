import Link from "next/link";
import { formatAgo } from "../format";
import { BotIcon, ChevronRightIcon } from "../ui/icons";
import { AgentStatusBadge } from "./agent-status-badge";
import type { AgentObject } from "@/lib/schemas/admin-objects";
import { Tags } from "./ui";

const COLUMNS = "md:grid-cols-[minmax(0,2fr)_minmax(0,1.3fr)_6rem_minmax(0,1.2fr)_4rem_6.5rem_7rem_1rem]";

/** The inventory: a table on wide screens, stacked cards on phones (one element per agent). */
export function AgentTable({ agents, now }: { agents: AgentObject[]; now: number | null }) {
  return (
    <div className="overflow-hidden rounded-xl border border-zinc-200 bg-white shadow-xs">
      <div
        className={`hidden border-b border-zinc-200 bg-zinc-50/80 px-5 py-2 text-xs font-medium text-zinc-500 md:grid md:gap-4 ${COLUMNS}`}
        aria-hidden="true"
      >
        <span>Agent</span>
        <span>Owner</span>
        <span>Trust</span>
        <span>Tags</span>
        <span>Keys</span>
        <span>Requests</span>
        <span>Last seen</span>
        <span />
      </div>
      <ul className="divide-y divide-zinc-100" data-testid="agent-list">
        {agents.map((a) => (
          <li key={a.id}>
            <Link
              href={`/admin/agents/${encodeURIComponent(a.id)}`}
              data-testid="agent-row"
              data-agent-id={a.id}
              className={`group grid gap-2 px-4 py-3.5 transition-colors hover:bg-zinc-50 md:items-center md:gap-4 md:px-5 ${COLUMNS}`}
            >
              <div className="min-w-0">
                <p className="flex items-center gap-2">
                  <BotIcon className="size-3.5 shrink-0 text-zinc-400" />
                  <span className="truncate text-sm font-medium text-zinc-900">{a.name}</span>
                  <AgentStatusBadge status={a.status} />
                </p>
                {a.description ? <p className="mt-0.5 truncate text-xs text-zinc-500">{a.description}</p> : null}
              </div>
              <div className="flex flex-wrap items-center gap-x-4 gap-y-1 text-xs text-zinc-600 md:contents md:text-sm">
                <span className="min-w-0 truncate">
                  <span className="text-zinc-400 md:hidden">owner </span>
                  {a.owner ?? <span className="text-zinc-400">—</span>}
                </span>
                <span className="capitalize">
                  <span className="text-zinc-400 normal-case md:hidden">trust </span>
                  {a.trust_level}
                </span>
                <span className="min-w-0">
                  <Tags tags={a.tags} />
                </span>
                <span className="tabular-nums">
                  {a.live_keys}
                  <span className="text-zinc-400 md:hidden"> keys</span>
                </span>
                <span className="tabular-nums" title={`${a.requests.pending} pending of ${a.requests.total}`}>
                  <span className={a.requests.pending > 0 ? "font-medium text-amber-700" : ""}>{a.requests.pending}</span>
                  <span className="text-zinc-400"> / {a.requests.total}</span>
                  <span className="text-zinc-400 md:hidden"> pending</span>
                </span>
                <span className="text-zinc-500">{a.last_seen_at ? (now === null ? "…" : formatAgo(a.last_seen_at, now)) : "never"}</span>
              </div>
              <ChevronRightIcon className="hidden size-4 text-zinc-300 transition-colors group-hover:text-zinc-500 md:block" />
            </Link>
          </li>
        ))}
      </ul>
    </div>
  );
}
