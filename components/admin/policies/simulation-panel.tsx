"use client";

import { Notice } from "../../ui/notice";
import { Button, inputClass } from "../ui";
import { EFFECT_LABEL } from "./effect-badge";
import type { Effect, SimulatedOutcome } from "./types";

const EFFECT_TONE: Record<Effect, string> = { allow: "text-emerald-700", deny: "text-red-700", require_approval: "text-amber-800" };

function Outcome({ label, o }: { label: string; o: { rule_name: string; effect: Effect } }) {
  return (
    <span className="min-w-0">
      <span className="block text-[11px] uppercase tracking-wide text-zinc-400">{label}</span>
      <span className="block break-all text-zinc-900">{o.rule_name}</span>
      <span className={`text-xs font-medium ${EFFECT_TONE[o.effect]}`}>{EFFECT_LABEL[o.effect]}</span>
    </span>
  );
}

/** Which rule each request matches now and with the draft in place. */
function Results({ results }: { results: SimulatedOutcome[] }) {
  if (results.length === 0) return <p className="text-sm text-zinc-500">No requests to replay yet.</p>;
  const matched = results.filter((r) => r.draft_matches).length;
  const changed = results.filter((r) => r.effect_changed).length;
  return (
    <div className="space-y-2">
      <p className="text-xs text-zinc-600" data-testid="simulation-summary">
        The draft matches {matched} of {results.length}; the outcome changes for {changed}.
      </p>
      <ul className="max-h-[28rem] divide-y divide-zinc-100 overflow-y-auto rounded-lg border border-zinc-200" data-testid="simulation-results">
        {results.map((r, i) => (
          <li
            key={`${r.source}-${i}`}
            data-testid="simulation-row"
            data-source={r.source}
            data-draft-matches={r.draft_matches}
            className={`space-y-2 px-3 py-2.5 text-sm ${r.draft_matches ? "bg-sky-50/60" : ""}`}
          >
            <div className="flex flex-wrap items-baseline justify-between gap-x-3 gap-y-1">
              <span className="min-w-0">
                <span className="font-mono text-xs text-zinc-900">{r.action}</span>
                <span className="text-xs text-zinc-500">
                  {" "}
                  · {r.source === "sample" ? "sample" : r.source} · {r.agent_name}
                </span>
              </span>
              <span className="flex shrink-0 items-center gap-1.5 text-xs">
                {r.draft_matches ? <span className="rounded bg-sky-100 px-1.5 py-0.5 font-medium text-sky-800">draft matches</span> : null}
                {r.effect_changed ? (
                  <span className="rounded bg-amber-100 px-1.5 py-0.5 font-medium text-amber-900">outcome changes</span>
                ) : (
                  <span className="text-zinc-400">no change</span>
                )}
              </span>
            </div>
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
        <textarea id="sim-sample" rows={11} spellCheck={false} value={sample} onChange={(e) => onSampleChange(e.target.value)} className={`${inputClass} font-mono text-xs`} />
        <p className="mt-1 text-xs text-zinc-500">action, resource, params, context, and agent (name, tags, trust_level, owner).</p>
      </div>
      <div className="flex flex-wrap items-center justify-between gap-3">
        <label htmlFor="sim-recent" className="flex items-center gap-2 text-sm text-zinc-800">
          <input id="sim-recent" type="checkbox" checked={replayRecent} onChange={(e) => onReplayRecentChange(e.target.checked)} className="size-4 accent-zinc-900" />
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
