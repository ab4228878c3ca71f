"use client";

import { useState } from "react";
import { Card } from "../../ui/card";
import { Notice } from "../../ui/notice";

type Severity = "low" | "medium" | "high" | "critical";
export interface SeverityRow {
  pattern: string;
  severity: Severity;
}

const LEVELS: { value: Severity; label: string; floor: number }[] = [
  { value: "critical", label: "Critical", floor: 90 },
  { value: "high", label: "High", floor: 70 },
  { value: "medium", label: "Medium", floor: 40 },
  { value: "low", label: "Low", floor: 10 },
];

const control =
  "h-9 rounded-lg border border-zinc-300 bg-white px-2.5 text-sm text-zinc-900 shadow-xs focus:border-zinc-900 focus:outline-none focus:ring-2 focus:ring-zinc-900/10";

/**
 * What is at stake per action pattern: each request's risk score is at least
 * its action's floor, so `db.drop_*` reads as critical in the queue even from
 * an agent with a spotless history. Edited as a whole list, saved at once.
 */
export function ActionSeverityPanel({
  rows,
  canEdit,
  busy,
  error,
  onSave,
}: {
  rows: SeverityRow[];
  canEdit: boolean;
  busy: boolean;
  error: string | null;
  onSave: (rows: SeverityRow[], done: () => void) => void;
}) {
  const [draft, setDraft] = useState<SeverityRow[]>(rows);
  const [saved, setSaved] = useState(false);
  const dirty = JSON.stringify(draft) !== JSON.stringify(rows);
  const edit = (i: number, change: Partial<SeverityRow>) => {
    setSaved(false);
    setDraft((d) => d.map((r, j) => (j === i ? { ...r, ...change } : r)));
  };
  return (
    <Card title="What is at stake" aside={<span className="text-xs text-zinc-500">Floors under the risk score: critical 90, high 70, medium 40, low 10</span>}>
      <div className="space-y-3" data-testid="action-severity">
        <p className="text-sm text-zinc-500">
          Mark actions by what they can break. <code className="font-mono text-xs">*</code> stands for any characters (
          <code className="font-mono text-xs">db.drop_*</code>, <code className="font-mono text-xs">payments.*</code>); when several match, the most severe
          wins. Applies to requests created from now on.
        </p>
        {draft.length === 0 ? <p className="text-sm text-zinc-400">No action is marked: scores come from each agent&apos;s history alone.</p> : null}
        <ul className="space-y-2">
          {draft.map((r, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: rows are edited in place; a pattern may be empty or repeated while typed.
            <li key={i} className="flex flex-wrap items-center gap-2" data-testid="severity-row">
              <input
                aria-label="Action pattern"
                value={r.pattern}
                disabled={!canEdit}
                placeholder="db.drop_*"
                onChange={(e) => edit(i, { pattern: e.target.value.trim() })}
                className={`${control} min-w-0 flex-1 font-mono`}
              />
              <select
                aria-label="Severity"
                value={r.severity}
                disabled={!canEdit}
                onChange={(e) => edit(i, { severity: e.target.value as Severity })}
                className={control}
              >
                {LEVELS.map((l) => (
                  <option key={l.value} value={l.value}>
                    {l.label} (≥ {l.floor})
                  </option>
                ))}
              </select>
              {canEdit ? (
                <button
                  type="button"
                  onClick={() => {
                    setSaved(false);
                    setDraft((d) => d.filter((_, j) => j !== i));
                  }}
                  className="h-9 rounded-lg px-2.5 text-sm text-zinc-500 hover:bg-zinc-50 hover:text-zinc-900"
                >
                  Remove
                </button>
              ) : null}
            </li>
          ))}
        </ul>
        {error ? <Notice tone="error">{error}</Notice> : null}
        {canEdit ? (
          <div className="flex flex-wrap items-center gap-2">
            <button
              type="button"
              onClick={() => setDraft((d) => [...d, { pattern: "", severity: "high" }])}
              className="h-9 rounded-lg border border-zinc-200 bg-white px-3 text-sm font-medium text-zinc-700 shadow-xs hover:bg-zinc-50"
            >
              Add pattern
            </button>
            <button
              type="button"
              disabled={!dirty || busy}
              onClick={() => onSave(draft, () => setSaved(true))}
              className="h-9 rounded-lg bg-zinc-900 px-3 text-sm font-medium text-white shadow-xs hover:bg-zinc-800 disabled:opacity-50"
            >
              {busy ? "Saving…" : "Save"}
            </button>
            <span className="text-sm text-zinc-500" aria-live="polite">
              {saved && !dirty ? "Saved." : ""}
            </span>
          </div>
        ) : null}
      </div>
    </Card>
  );
}
