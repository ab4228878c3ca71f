import { summaryMismatches } from "@/lib/text/summary-facts";
import type { ReviewItem } from "@/lib/schemas/review";
import { AlertIcon } from "../ui/icons";

/**
 * Under the headline: what the agent's summary states that the params (what
 * the grant binds) do not contain, such as "Refund $5" over `amount: 5000`.
 */
export function SummaryMismatch({ item }: { item: Pick<ReviewItem, "summary" | "params" | "resource"> }) {
  const found = summaryMismatches(item.summary, item.params, item.resource);
  if (!found.length) return null;
  return (
    <div
      role="alert"
      data-testid="summary-mismatch"
      className="flex items-start gap-2.5 rounded-lg border border-amber-300 bg-amber-50 px-3.5 py-2.5 text-sm text-amber-950"
    >
      <AlertIcon className="mt-0.5 size-4 shrink-0 text-amber-600" />
      <p className="min-w-0 leading-relaxed [overflow-wrap:anywhere]">
        <span className="font-semibold">The summary does not match the parameters.</span> It mentions{" "}
        {found.map((f, i) => (
          <span key={f.text}>
            {i > 0 ? (i === found.length - 1 ? " and " : ", ") : null}
            <code className="rounded bg-white/70 px-1 font-mono text-xs ring-1 ring-inset ring-amber-200">{f.text}</code>
          </span>
        ))}
        , which {found.length === 1 ? "is" : "are"} not in them. Decide on the parameters: they are what the grant binds.
      </p>
    </div>
  );
}
