import { Card } from "../ui/card";
import type { ReviewItem } from "@/lib/schemas/review";
import { VisibleText } from "./visible-text";

type Risk = NonNullable<ReviewItem["risk"]>;
type Severity = Risk["flags"][number]["severity"];

const SEVERITY: Record<Severity, { label: string; className: string; dot: string }> = {
  critical: { label: "Critical", className: "bg-red-600 text-white ring-red-700", dot: "bg-white" },
  high: { label: "High", className: "bg-red-50 text-red-800 ring-red-600/20", dot: "bg-red-500" },
  medium: { label: "Medium", className: "bg-amber-50 text-amber-800 ring-amber-600/20", dot: "bg-amber-500" },
  low: { label: "Low", className: "bg-sky-50 text-sky-800 ring-sky-600/20", dot: "bg-sky-500" },
};

export function SeverityBadge({ severity }: { severity: Severity }) {
  const s = SEVERITY[severity];
  return (
    <span
      data-testid="risk-severity"
      className={`inline-flex w-[4.75rem] shrink-0 items-center justify-center gap-1.5 rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset ${s.className}`}
    >
      <span className={`size-1.5 rounded-full ${s.dot}`} aria-hidden="true" />
      {s.label}
    </span>
  );
}

/**
 * The band a score falls in, the same cut-offs as admin-set action severity
 * (critical ≥ 90, high ≥ 70, medium ≥ 40, low above 0): so a badge's colour
 * only ever gets hotter as the score rises.
 */
export function scoreBand(score: number): Severity {
  if (score >= 90) return "critical";
  if (score >= 70) return "high";
  if (score >= 40) return "medium";
  return "low";
}

/** "Risk 70", coloured by its score's band; nothing when there is no flag. */
export function RiskScore({ risk }: { risk: ReviewItem["risk"] }) {
  if (!risk || risk.flags.length === 0) return null;
  const l = scoreBand(risk.score);
  return (
    <span
      data-testid="risk-score"
      title={`Risk score ${risk.score} of 100 (${SEVERITY[l].label.toLowerCase()})`}
      data-band={l}
      className={`inline-flex shrink-0 items-center rounded-md px-1.5 py-0.5 text-xs font-medium tabular-nums ring-1 ring-inset ${SEVERITY[l].className}`}
    >
      Risk {risk.score}
    </span>
  );
}

/** In a queue row: the most severe flag's explanation, and how many more there are. */
export function RiskSummary({ risk }: { risk: ReviewItem["risk"] }) {
  if (!risk || risk.flags.length === 0) return null;
  const [top, ...rest] = risk.flags;
  return (
    <p className="mt-1.5 flex min-w-0 items-center gap-1.5 text-xs text-zinc-600" data-testid="risk-summary">
      <span className={`size-1.5 shrink-0 rounded-full ${SEVERITY[top.severity].dot}`} aria-label={`${SEVERITY[top.severity].label} risk`} />
      <span className="truncate" data-testid="risk-explanation">
        <VisibleText text={top.explanation} />
      </span>
      {rest.length ? <span className="shrink-0 text-zinc-400">+{rest.length} more</span> : null}
    </p>
  );
}

/** On the request page: every flag with its severity and explanation. */
export function RiskCard({ risk }: { risk: ReviewItem["risk"] }) {
  return (
    <Card title="Risk signals" aside={<RiskScore risk={risk} />}>
      {!risk ? (
        <p className="text-sm text-zinc-400">Not assessed: this request was created before risk signals were computed.</p>
      ) : risk.flags.length === 0 ? (
        <p className="text-sm text-zinc-500" data-testid="risk-none">
          Nothing unusual compared with this agent&apos;s approved history.
        </p>
      ) : (
        <ul className="space-y-3" data-testid="risk-flags">
          {risk.flags.map((f, i) => (
            <li key={`${f.code}-${i}`} className="flex items-start gap-3" data-testid="risk-flag" data-code={f.code}>
              <SeverityBadge severity={f.severity} />
              <span className="min-w-0 break-words text-sm text-zinc-800" data-testid="risk-explanation">
                <VisibleText text={f.explanation} />
              </span>
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}
