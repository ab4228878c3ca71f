import { formatDateTime } from "../../format";
import type { RuleVersionObject } from "@/lib/schemas/policy";

const show = (v: unknown) => (v === undefined ? "—" : typeof v === "string" ? v : JSON.stringify(v));

/** Field by field, what a version changed from the one before it. */
function changes(before: RuleVersionObject["definition"], after: RuleVersionObject["definition"]): { field: string; from: string; to: string }[] {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  const b = before as unknown as Record<string, unknown>;
  const a = after as unknown as Record<string, unknown>;
  return keys.filter((k) => JSON.stringify(b[k]) !== JSON.stringify(a[k])).map((k) => ({ field: k, from: show(b[k]), to: show(a[k]) }));
}

/** A rule's versions, newest first: who saved each, when, and what changed. */
export function RuleHistory({ versions }: { versions: RuleVersionObject[] }) {
  return (
    <ol className="space-y-4" data-testid="rule-history">
      {versions.map((v, i) => {
        const previous = versions[i + 1];
        const diff = previous ? changes(previous.definition, v.definition) : null;
        return (
          <li key={v.version} data-testid="history-version" data-version={v.version} className="rounded-lg border border-zinc-200">
            <div className="flex flex-wrap items-baseline justify-between gap-2 border-b border-zinc-100 px-3 py-2">
              <p className="text-sm">
                <span className="font-medium text-zinc-900">Version {v.version}</span>
                <span className="text-zinc-500"> by </span>
                <span className="break-all text-zinc-800" data-testid="version-author">
                  {v.created_by}
                </span>
              </p>
              <time dateTime={v.created_at} className="text-xs text-zinc-500">
                {formatDateTime(v.created_at)}
              </time>
            </div>
            <div className="space-y-2 px-3 py-2">
              {diff === null ? (
                <p className="text-xs text-zinc-500">Created.</p>
              ) : diff.length === 0 ? (
                <p className="text-xs text-zinc-500">No change to the definition.</p>
              ) : (
                <ul className="space-y-1 text-xs">
                  {diff.map((c) => (
                    <li key={c.field} className="grid gap-1 sm:grid-cols-[9rem_minmax(0,1fr)]">
                      <span className="font-medium text-zinc-700">{c.field}</span>
                      <span className="min-w-0 break-words font-mono">
                        <del className="bg-red-50 text-red-800 no-underline decoration-red-400 line-through">{c.from}</del>
                        <span className="px-1 text-zinc-400">→</span>
                        <ins className="bg-emerald-50 text-emerald-800 no-underline">{c.to}</ins>
                      </span>
                    </li>
                  ))}
                </ul>
              )}
              <details className="text-xs">
                <summary className="cursor-pointer text-zinc-500 hover:text-zinc-900">Full definition</summary>
                <pre className="mt-2 overflow-x-auto rounded-md bg-zinc-50 p-2 font-mono text-zinc-800 ring-1 ring-zinc-200 ring-inset">
                  {JSON.stringify(v.definition, null, 2)}
                </pre>
              </details>
            </div>
          </li>
        );
      })}
    </ol>
  );
}
