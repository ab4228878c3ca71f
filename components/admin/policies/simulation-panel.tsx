"use client";

import { Notice } from "../../ui/notice";
import { Button, inputClass } from "../ui";
import { formatSeconds } from "./durations";
import { approvalSummary, EFFECT_LABEL } from "./effect-badge";
import type { SimulatedOutcome } from "@/lib/schemas/policy";
import type { Effect } from "./types";

const EFFECT_TONE: Record<Effect, string> = { allow: "text-emerald-700", deny: "text-red-700", require_approval: "text-amber-800" };

type Handling = SimulatedOutcome["current"];
type Change = SimulatedOutcome["changes"][number];

const yesNo = (b: boolean) => (b ? "yes" : "no");
const groups = (g: string[]) => (g.length ? g.join(", ") : "any reviewer");

/** One difference in handling, before → after, in the console's words. */
const CHANGE_TEXT: Record<Change, (b: Handling, a: Handling) => string> = {
  effect: (b, a) => `${EFFECT_LABEL[b.effect]} → ${EFFECT_LABEL[a.effect]}`,
  reason: () => "deny reason changes",
  approvals_required: (b, a) => `approvals ${b.approvals_required} → ${a.approvals_required}`,
  reviewer_groups: (b, a) => `reviewers ${groups(b.reviewer_groups)} → ${groups(a.reviewer_groups)}`,
  reason_required_to_approve: (b, a) => `reason to approve required: ${yesNo(b.reason_required_to_approve)} → ${yesNo(a.reason_required_to_approve)}`,
  owner_may_decide: (b, a) => `owner may decide: ${yesNo(b.owner_may_decide)} → ${yesNo(a.owner_may_decide)}`,
  reviewers_may_edit: (b, a) => `reviewers may edit ${b.reviewers_may_edit.join(", ") || "nothing"} → ${a.reviewers_may_edit.join(", ") || "nothing"}`,
  wait_seconds: (b, a) => `wait ${formatSeconds(b.wait_seconds)} → ${formatSeconds(a.wait_seconds)}`,
  grant_ttl_seconds: (b, a) => `grant lifetime ${formatSeconds(b.grant_ttl_seconds)} → ${formatSeconds(a.grant_ttl_seconds)}`,
  audience: (b, a) => `audience ${b.audience} → ${a.audience}`,
};

/** "condition errored: … (treated as a match)", as the request page says it. */
export function conditionErrorText(e: { error: string; treated_as: "match" | "no_match" }): string {
  return `condition errored: ${e.error} (${e.treated_as === "match" ? "treated as a match" : "treated as no match"})`;
}

function Outcome({ label, o }: { label: string; o: Handling }) {
  return (
    <span className="min-w-0">
      <span className="block text-[11px] uppercase tracking-wide text-zinc-400">{label}</span>
      <span className="block break-words text-zinc-900">{o.rule_name}</span>
      <span className={`text-xs font-medium ${EFFECT_TONE[o.effect]}`}>{EFFECT_LABEL[o.effect]}</span>
      {o.effect === "require_approval" ? <span className="block text-xs text-zinc-500">{approvalSummary(o.approvals_required, o.reviewer_groups)}</span> : null}
    </span>
  );
}

/** The draft's condition errors, one line per request, above everything else. */
function ConditionErrorSummary({ results }: { results: SimulatedOutcome[] }) {
  const errored = results.filter((r) => r.draft_condition_error);
  if (errored.length === 0) return null;
  const asMatch = errored.some((r) => r.draft_condition_error!.treated_as === "match");
  return (
    <Notice tone="error" testId="simulation-condition-errors">
      <p className="font-medium">
        The condition errors on {errored.length} of {results.length} {results.length === 1 ? "request" : "requests"}.
      </p>
      <p className="mt-0.5">
        {asMatch
          ? "An error counts as a match, so this rule would apply to each of them whatever their values."
          : "An error counts as no match for an allow rule, so it would allow none of them."}
      </p>
    </Notice>
  );
}

/** Which rule each request matches now and with the draft in place, and what changes in how it is handled. */
function Results({ results }: { results: SimulatedOutcome[] }) {
  if (results.length === 0) return <p className="text-sm text-zinc-500">No requests to replay yet.</p>;
  const matched = results.filter((r) => r.draft_matches).length;
  const changed = results.filter((r) => r.handling_changed).length;
  const effectChanged = results.filter((r) => r.effect_changed).length;
  return (
    <div className="space-y-2">
      <ConditionErrorSummary results={results} />
      <p className="text-xs text-zinc-600" data-testid="simulation-summary">
        The draft matches {matched} of {results.length}; handling changes for {changed}
        {changed > 0 ? ` (the effect for ${effectChanged})` : ""}.
      </p>
      <ul className="max-h-[28rem] divide-y divide-zinc-100 overflow-y-auto rounded-lg border border-zinc-200" data-testid="simulation-results">
        {results.map((r, i) => (
          <li
            key={`${r.source}-${i}`}
            data-testid="simulation-row"
            data-source={r.source}
            data-draft-matches={r.draft_matches}
            data-changes={r.changes.join(" ")}
            className={`space-y-2 px-3 py-2.5 text-sm ${r.draft_condition_error ? "bg-red-50/70" : r.draft_matches ? "bg-sky-50/60" : ""}`}
          >
            <div className="flex flex-wrap items-baseline justify-between gap-x-3 gap-y-1">
              <span className="min-w-0 break-all">
                <span className="font-mono text-xs text-zinc-900">{r.action}</span>
                <span className="text-xs text-zinc-500">
                  {" "}
                  · {r.source === "sample" ? "sample" : r.source} · {r.agent_name}
                </span>
              </span>
              <span className="flex shrink-0 items-center gap-1.5 text-xs">
                {r.draft_matches ? <span className="rounded bg-sky-100 px-1.5 py-0.5 font-medium text-sky-800">draft matches</span> : null}
                {r.handling_changed ? (
                  <span className="rounded bg-amber-100 px-1.5 py-0.5 font-medium text-amber-900">handling changes</span>
                ) : (
                  <span className="text-zinc-400">no change</span>
                )}
              </span>
            </div>
            {r.draft_condition_error ? (
              <p data-testid="simulation-row-error" className="break-words rounded border border-red-200 bg-white px-2 py-1 font-mono text-xs text-red-800">
                {conditionErrorText(r.draft_condition_error)}
              </p>
            ) : null}
            {r.changes.length > 0 ? (
              <ul className="flex flex-wrap gap-1.5" data-testid="simulation-changes">
                {r.changes.map((c) => (
                  <li key={c} className="rounded bg-amber-50 px-1.5 py-0.5 text-xs text-amber-900 ring-1 ring-inset ring-amber-600/20">
                    {CHANGE_TEXT[c](r.current, r.with_draft)}
                  </li>
                ))}
              </ul>
            ) : null}
            <div className="grid grid-cols-2 gap-3">
              <Outcome label="Now" o={r.current} />
              <Outcome label="With the draft" o={r.with_draft} />
            </div>
          </li>
        ))}
      </ul>
    </div>
  );
}

/** Tests the draft on screen against a hand-written request and recent real ones, before saving. */
export function SimulationPanel({
  sample,
  onSampleChange,
  replayRecent,
  onReplayRecentChange,
  busy,
  error,
  results,
  onRun,
}: {
  sample: string;
  onSampleChange(v: string): void;
  replayRecent: boolean;
  onReplayRecentChange(v: boolean): void;
  busy: boolean;
  error: string | null;
  results: SimulatedOutcome[] | null;
  onRun(): void;
}) {
  return (
    <div className="space-y-4" data-testid="simulation">
      <div>
        <label htmlFor="sim-sample" className="mb-1.5 block text-sm font-medium text-zinc-800">
          Sample request (JSON)
        </label>
        <textarea
          id="sim-sample"
          rows={11}
          spellCheck={false}
          value={sample}
          onChange={(e) => onSampleChange(e.target.value)}
          className={`${inputClass} font-mono text-xs`}
        />
        <p className="mt-1 text-xs text-zinc-500">action, resource, params, context, and agent (name, tags, trust_level, owner).</p>
      </div>
      <div className="flex flex-wrap items-center justify-between gap-3">
        <label htmlFor="sim-recent" className="flex items-center gap-2 text-sm text-zinc-800">
          <input
            id="sim-recent"
            type="checkbox"
            checked={replayRecent}
            onChange={(e) => onReplayRecentChange(e.target.checked)}
            className="size-4 accent-zinc-900"
          />
          Also the last 50 requests
        </label>
        <Button onClick={onRun} busy={busy}>
          Simulate
        </Button>
      </div>
      {error ? <Notice tone="error">{error}</Notice> : null}
      {results ? <Results results={results} /> : null}
    </div>
  );
}
