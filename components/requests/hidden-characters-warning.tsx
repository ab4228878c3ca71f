import { characterLabel, scanRequest, type HiddenFinding } from "@/lib/text/hidden-characters";
import { AlertIcon } from "../ui/icons";
import type { ReviewItem } from "@/lib/schemas/review";

/** Hidden characters anywhere a reviewer reads this request's agent text. */
export function hiddenFindings(item: ReviewItem): HiddenFinding[] {
  return scanRequest({ ...item, outcomeDetail: item.outcome?.detail ?? null });
}

const SHOWN = 8;

/** At the top of the request page: what hides where, before anything else is read. */
export function HiddenCharactersWarning({ findings }: { findings: HiddenFinding[] }) {
  if (!findings.length) return null;
  const rest = findings.length - SHOWN;
  return (
    <div
      role="alert"
      data-testid="hidden-characters-warning"
      className="rounded-xl border border-red-200 bg-red-50 px-4 py-3.5 text-sm text-red-900 shadow-xs sm:px-5"
    >
      <div className="flex items-start gap-2.5">
        <AlertIcon className="mt-0.5 size-4 shrink-0 text-red-600" />
        <div className="min-w-0 space-y-2">
          <p className="font-semibold">This request contains hidden or direction-changing characters</p>
          <p className="leading-relaxed text-red-800">
            They can make text read differently from what will run. Countersign shows each one as a red ⟨U+…⟩ marker instead of applying it; check the marked
            fields before you decide.
          </p>
          <ul className="space-y-1" data-testid="hidden-characters-fields">
            {findings.slice(0, SHOWN).map((f, i) => (
              <li key={i} className="min-w-0 [overflow-wrap:anywhere]">
                <code className="rounded bg-white/70 px-1 py-0.5 font-mono text-xs text-red-900 ring-1 ring-inset ring-red-200">{f.path}</code>
                {f.inKey ? <span className="text-red-700"> (key)</span> : null}
                <span className="text-red-800">: {f.characters.map(characterLabel).join(", ")}</span>
              </li>
            ))}
            {rest > 0 ? (
              <li className="text-red-700">
                and {rest} more field{rest === 1 ? "" : "s"}
              </li>
            ) : null}
          </ul>
        </div>
      </div>
    </div>
  );
}

/** In a queue row: the same warning, as a badge. */
export function HiddenCharactersBadge({ item }: { item: ReviewItem }) {
  const findings = hiddenFindings(item);
  if (!findings.length) return null;
  return (
    <span
      data-testid="hidden-characters-badge"
      title={`Hidden or direction-changing characters in ${findings
        .map((f) => f.path)
        .slice(0, SHOWN)
        .join(", ")}`}
      className="inline-flex shrink-0 items-center gap-1 rounded-md bg-red-50 px-1.5 py-0.5 text-xs font-medium text-red-700 ring-1 ring-inset ring-red-600/20"
    >
      <AlertIcon className="size-3 shrink-0" />
      Hidden characters
    </span>
  );
}
