import Link from "next/link";
import { ChevronRightIcon } from "../../ui/icons";
import { Tags } from "../ui";
import { EffectBadge } from "./effect-badge";
import { formatDateTime } from "../../format";
import type { PolicyDefaults } from "@/lib/policy/policy-document";
import type { RuleObject } from "@/lib/schemas/policy";

/** An on/off switch for a rule; text of the rule's name is its accessible label. */
function EnabledSwitch({ rule, canEdit, busy, onToggle }: { rule: RuleObject; canEdit: boolean; busy: boolean; onToggle(): void }) {
  return (
    <button
      type="button"
      role="switch"
      aria-checked={rule.enabled}
      aria-label={`Enabled: ${rule.name}`}
      disabled={!canEdit || busy}
      onClick={onToggle}
      className={`relative inline-flex h-5 w-9 shrink-0 items-center rounded-full transition-colors disabled:cursor-not-allowed disabled:opacity-60 ${rule.enabled ? "bg-emerald-600" : "bg-zinc-300"}`}
    >
      <span className={`inline-block size-4 rounded-full bg-white shadow-xs transition-transform ${rule.enabled ? "translate-x-4.5" : "translate-x-0.5"}`} />
    </button>
  );
}

function MoveButton({ label, disabled, onClick, children }: { label: string; disabled: boolean; onClick(): void; children: React.ReactNode }) {
  return (
    <button
      type="button"
      aria-label={label}
      title={label}
      disabled={disabled}
      onClick={onClick}
      className="inline-flex size-7 items-center justify-center rounded-md border border-zinc-200 bg-white text-zinc-600 shadow-xs transition-colors hover:bg-zinc-50 hover:text-zinc-900 disabled:cursor-not-allowed disabled:opacity-40"
    >
      {children}
    </button>
  );
}

const Arrow = ({ up }: { up: boolean }) => (
  <svg
    viewBox="0 0 16 16"
    className="size-3.5"
    fill="none"
    stroke="currentColor"
    strokeWidth="1.75"
    strokeLinecap="round"
    strokeLinejoin="round"
    aria-hidden="true"
  >
    <path d={up ? "M8 13V3M4 7l4-4 4 4" : "M8 3v10M4 9l4 4 4-4"} />
  </svg>
);

/** What a rule applies to: action patterns, agents, condition. */
function Scope({ rule }: { rule: RuleObject }) {
  const d = rule.definition;
  const agents = [...(d.agents?.names ?? []), ...(d.agents?.tags ?? []).map((t) => `#${t}`)];
  return (
    <div className="min-w-0 space-y-1.5 text-xs">
      <p className="flex flex-wrap items-center gap-x-3 gap-y-1.5">
        <span className="inline-flex items-center gap-1.5">
          <span className="text-zinc-400">actions</span>
          <Tags tags={d.actions} />
        </span>
        {agents.length ? (
          <span className="inline-flex items-center gap-1.5">
            <span className="text-zinc-400">agents</span>
            <Tags tags={agents} />
          </span>
        ) : null}
      </p>
      {d.condition ? (
        <p className="break-words rounded-md bg-zinc-50 px-2 py-1 font-mono text-zinc-700 ring-1 ring-zinc-200 ring-inset" data-testid="rule-condition">
          {d.condition}
        </p>
      ) : null}
    </div>
  );
}

/** A shadow rule's hits: how often its current version matched, and when last. */
function ShadowHits({ rule }: { rule: RuleObject }) {
  const hits = rule.shadow_hits;
  if (!hits) return null;
  const count = `${hits.count.toLocaleString("en-US")}${hits.capped ? "+" : ""} ${hits.count === 1 ? "hit" : "hits"}`;
  return (
    <p className="text-xs text-violet-800" data-testid="shadow-hits" data-count={hits.count}>
      <span className="font-medium">{count}</span>
      <span className="text-violet-700/80">
        {hits.last_hit_at ? ` · last ${formatDateTime(hits.last_hit_at)}` : " · no request has matched this version yet"}
      </span>
    </p>
  );
}

/** The rules in evaluation order: first enabled match wins. */
export function RuleList({
  rules,
  defaults,
  canEdit,
  busyId,
  onMove,
  onToggle,
  onPromote,
}: {
  rules: RuleObject[];
  defaults: PolicyDefaults;
  canEdit: boolean;
  busyId: string | null;
  onMove(rule: RuleObject, direction: "up" | "down"): void;
  onToggle(rule: RuleObject): void;
  /** Shadow to enforce; no button without it. */
  onPromote?(rule: RuleObject): void;
}) {
  return (
    <ol className="divide-y divide-zinc-100" data-testid="rule-list">
      {rules.map((r, i) => (
        <li
          key={r.id}
          data-testid="rule-row"
          data-rule-id={r.id}
          data-rule-name={r.name}
          data-enabled={r.enabled}
          data-mode={r.definition.mode ?? "enforce"}
          className={`grid grid-cols-[1.5rem_minmax(0,1fr)] gap-3 px-4 py-3.5 sm:px-5 ${r.enabled ? "" : "bg-zinc-50/60"}`}
        >
          <span className="pt-0.5 text-right text-xs font-medium tabular-nums text-zinc-400">{i + 1}</span>
          <div className="grid min-w-0 gap-3 md:grid-cols-[minmax(0,1fr)_auto] md:items-start">
            <div className="min-w-0 space-y-2">
              <div className="flex flex-wrap items-center gap-x-3 gap-y-1.5">
                <Link
                  href={`/admin/policies/${encodeURIComponent(r.id)}`}
                  className={`group inline-flex min-w-0 items-center gap-1 text-sm font-medium hover:underline ${r.enabled ? "text-zinc-900" : "text-zinc-500"}`}
                >
                  <span className="truncate">{r.name}</span>
                  <ChevronRightIcon className="size-3.5 shrink-0 text-zinc-300 group-hover:text-zinc-500" />
                </Link>
                <EffectBadge definition={r.definition} defaultApprovals={defaults.approvals_required} />
                {r.definition.mode === "shadow" ? (
                  <span
                    className="rounded-full bg-violet-50 px-2 py-0.5 text-xs font-medium text-violet-700 ring-1 ring-violet-200 ring-inset"
                    title="Tried on every request and recorded; it changes nothing until promoted"
                  >
                    Shadow
                  </span>
                ) : null}
                {!r.enabled ? <span className="rounded-full bg-zinc-100 px-2 py-0.5 text-xs font-medium text-zinc-600">Disabled</span> : null}
              </div>
              <ShadowHits rule={r} />
              {r.definition.description ? <p className="text-xs text-zinc-500">{r.definition.description}</p> : null}
              <Scope rule={r} />
            </div>
            <div className="flex flex-wrap items-center gap-3 md:justify-end">
              {canEdit && onPromote && r.definition.mode === "shadow" ? (
                <button
                  type="button"
                  disabled={busyId !== null}
                  onClick={() => onPromote(r)}
                  className="inline-flex h-7 items-center rounded-md border border-violet-200 bg-white px-2.5 text-xs font-medium text-violet-800 shadow-xs transition-colors hover:bg-violet-50 disabled:cursor-not-allowed disabled:opacity-50"
                >
                  Promote to enforce
                </button>
              ) : null}
              <span className="text-xs text-zinc-400" title={`Version ${r.version}, saved by ${r.updated_by}`}>
                v{r.version}
              </span>
              <EnabledSwitch rule={r} canEdit={canEdit} busy={busyId === r.id} onToggle={() => onToggle(r)} />
              {canEdit ? (
                <span className="flex gap-1">
                  <MoveButton label={`Move ${r.name} up`} disabled={i === 0 || busyId !== null} onClick={() => onMove(r, "up")}>
                    <Arrow up />
                  </MoveButton>
                  <MoveButton label={`Move ${r.name} down`} disabled={i === rules.length - 1 || busyId !== null} onClick={() => onMove(r, "down")}>
                    <Arrow up={false} />
                  </MoveButton>
                </span>
              ) : null}
            </div>
          </div>
        </li>
      ))}
    </ol>
  );
}
