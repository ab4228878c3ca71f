import type { Effect, RuleDefinition } from "./types";

const STYLES: Record<Effect, { label: string; className: string; dot: string }> = {
  allow: { label: "Allow", className: "bg-emerald-50 text-emerald-800 ring-emerald-600/20", dot: "bg-emerald-500" },
  deny: { label: "Deny", className: "bg-red-50 text-red-800 ring-red-600/20", dot: "bg-red-500" },
  require_approval: { label: "Require approval", className: "bg-amber-50 text-amber-900 ring-amber-600/20", dot: "bg-amber-500" },
};

export const EFFECT_LABEL: Record<Effect, string> = { allow: "Allow", deny: "Deny", require_approval: "Require approval" };

/** "2 approvals · finance", "1 approval · any reviewer". */
export function approvalSummary(approvals: number, groups: string[] | undefined): string {
  return `${approvals} approval${approvals === 1 ? "" : "s"} · ${groups?.length ? groups.join(", ") : "any reviewer"}`;
}

/** A rule's effect; for require_approval also how many approvals and from whom. */
export function EffectBadge({
  definition,
  defaultApprovals,
}: {
  definition: Pick<RuleDefinition, "effect" | "approvals_required" | "reviewers">;
  defaultApprovals: number;
}) {
  const s = STYLES[definition.effect];
  return (
    <span className="inline-flex flex-wrap items-center gap-x-2 gap-y-1" data-testid="effect" data-effect={definition.effect}>
      <span className={`inline-flex items-center gap-1.5 rounded-full px-2 py-0.5 text-xs font-medium whitespace-nowrap ring-1 ring-inset ${s.className}`}>
        <span className={`size-1.5 rounded-full ${s.dot}`} aria-hidden="true" />
        {s.label}
      </span>
      {definition.effect === "require_approval" ? (
        <span className="text-xs text-zinc-600" data-testid="approval-summary">
          {approvalSummary(definition.approvals_required ?? defaultApprovals, definition.reviewers?.groups)}
        </span>
      ) : null}
    </span>
  );
}
