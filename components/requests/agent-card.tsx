import { Card, Field, Fields, Muted } from "../ui/card";
import { BotIcon } from "../ui/icons";
import type { ReviewItem } from "@/lib/schemas/review";

const TRUST_TONE: Record<string, string> = {
  high: "bg-emerald-50 text-emerald-800 ring-emerald-600/20",
  medium: "bg-sky-50 text-sky-800 ring-sky-600/20",
  standard: "bg-sky-50 text-sky-800 ring-sky-600/20",
  low: "bg-amber-50 text-amber-800 ring-amber-600/20",
  untrusted: "bg-red-50 text-red-800 ring-red-600/20",
};

/** Who is asking: the agent's registered identity. */
export function AgentCard({ agent }: { agent: ReviewItem["agent"] }) {
  return (
    <Card title="Agent">
      <div className="mb-4 flex items-start gap-3">
        <div className="flex size-9 shrink-0 items-center justify-center rounded-lg bg-zinc-900 text-white">
          <BotIcon className="size-4.5" />
        </div>
        <div className="min-w-0">
          <p className="truncate text-sm font-semibold text-zinc-900" data-testid="agent-name">
            {agent.name}
          </p>
          <p className="truncate font-mono text-xs text-zinc-500">{agent.id}</p>
        </div>
      </div>
      {agent.description ? <p className="mb-4 text-sm text-zinc-600">{agent.description}</p> : null}
      <Fields>
        <Field label="Owner">{agent.owner ?? <Muted>No owner</Muted>}</Field>
        <Field label="Trust level">
          <span
            className={`inline-flex rounded-md px-1.5 py-0.5 text-xs font-medium ring-1 ring-inset ${TRUST_TONE[agent.trust_level] ?? "bg-zinc-100 text-zinc-700 ring-zinc-500/20"}`}
          >
            {agent.trust_level}
          </span>
        </Field>
        <Field label="Tags">
          {agent.tags.length ? (
            <span className="flex flex-wrap gap-1">
              {agent.tags.map((t) => (
                <span key={t} className="rounded-md bg-zinc-100 px-1.5 py-0.5 text-xs text-zinc-700">
                  {t}
                </span>
              ))}
            </span>
          ) : (
            <Muted>None</Muted>
          )}
        </Field>
      </Fields>
    </Card>
  );
}
