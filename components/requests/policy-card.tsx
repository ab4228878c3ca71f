import Link from "next/link";
import { Card, Field, Fields } from "../ui/card";
import type { ReviewItem } from "@/lib/schemas/review";

const EFFECT_LABEL = { allow: "Allow", deny: "Deny", require_approval: "Require approval" } as const;

/** The rule version that routed this request to review. */
const WOULD_HAVE = { allow: "allowed it", deny: "denied it", require_approval: "required approval" } as const;

export function PolicyCard({
  policy,
  shadowMatches = [],
  proposeHref = null,
}: {
  policy: ReviewItem["policy"];
  /** Shadow rules that matched: shown inertly, they changed nothing. */
  shadowMatches?: ReviewItem["shadow_matches"];
  /** "Propose a rule" from this decision (admins, decided requests), or null. */
  proposeHref?: string | null;
}) {
  return (
    <Card
      title="Matched policy"
      aside={
        proposeHref ? (
          <Link
            href={proposeHref}
            className="text-xs font-medium text-violet-700 underline underline-offset-2 hover:text-violet-900"
            data-testid="propose-rule"
          >
            Propose a rule
          </Link>
        ) : undefined
      }
    >
      <Fields>
        <Field label="Rule">
          <span className="font-medium">{policy.name}</span> <span className="text-zinc-400">v{policy.version}</span>
        </Field>
        <Field label="Effect">{EFFECT_LABEL[policy.effect]}</Field>
        <Field label="Approvals">{policy.approvals_required} required</Field>
        <Field label="Rule id">
          <span className="font-mono text-xs text-zinc-600">{policy.id}</span>
        </Field>
      </Fields>
      {shadowMatches.length ? (
        <ul className="mt-3 space-y-1 border-t border-zinc-100 pt-3 text-xs text-zinc-500" data-testid="shadow-matches">
          {shadowMatches.map((m) => (
            <li key={`${m.rule_id}@${m.version}`} className="break-words" data-testid="shadow-match">
              Shadow rule <span className="font-medium text-zinc-700">{m.rule}</span> <span className="text-zinc-400">v{m.version}</span> would have{" "}
              {WOULD_HAVE[m.effect]}
              {m.condition_error ? " (its condition errored, which fails closed)" : ""}. It changed nothing.
            </li>
          ))}
        </ul>
      ) : null}
    </Card>
  );
}
