import { Notice } from "../ui/notice";
import type { ReviewItem } from "@/lib/schemas/review";

/**
 * Rule conditions that errored when this request was evaluated. An error
 * fails closed (a match, or for an allow rule no match), so the request may
 * be here, or need more approvals, only because a condition is broken: say
 * so where the reviewer judges it.
 */
export function ConditionErrors({ errors }: { errors: ReviewItem["condition_errors"] }) {
  if (errors.length === 0) return null;
  return (
    <Notice tone="warning" testId="condition-errors">
      <p className="font-medium">A policy condition could not be evaluated for this request.</p>
      <ul className="mt-1 space-y-1">
        {errors.map((e) => (
          <li key={`${e.rule_id}@${e.rule_version}`} data-testid="condition-error" className="break-words">
            Rule <span className="font-medium">{e.rule_name}</span> <span className="opacity-70">v{e.rule_version}</span>: condition errored:{" "}
            <span className="font-mono text-xs">{e.error}</span> ({e.treated_as === "match" ? "treated as a match" : "treated as no match"})
          </li>
        ))}
      </ul>
      {errors.some((e) => e.treated_as === "match") ? (
        <p className="mt-1 text-xs opacity-80">
          An error fails closed: the rule applied as if its condition held, whatever the request&apos;s values. Judge the request on its own.
        </p>
      ) : null}
    </Notice>
  );
}
