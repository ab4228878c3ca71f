import type { BulkChoice } from "@/lib/agents/bulk-preview";
import type { BulkResumeResult, BulkSuspendResult } from "@/lib/schemas/admin-objects";
import { Notice } from "../ui/notice";

export type BulkOutcome =
  | { action: "suspend"; choice: BulkChoice; result: BulkSuspendResult }
  | { action: "resume"; choice: BulkChoice; result: BulkResumeResult };

const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString("en")} ${n === 1 ? one : many}`;

/** What a bulk suspend or resume did: counts first, the agents' names on demand. */
export function BulkOutcomeNotice({ outcome, onDismiss }: { outcome: BulkOutcome; onDismiss(): void }) {
  const which = "tag" in outcome.choice ? ` tagged ${outcome.choice.tag}` : "";
  const skipped = outcome.result.skipped.length;
  let headline: string;
  let names: string[];
  if (outcome.action === "suspend") {
    const s = outcome.result.suspended;
    const cancelled = s.reduce((n, a) => n + a.cancelled_requests, 0);
    const revoked = s.reduce((n, a) => n + a.revoked_grants, 0);
    headline =
      s.length === 0
        ? `No active agent${which}: nothing was suspended.`
        : `Suspended ${plural(s.length, "agent")}${which}: ${plural(cancelled, "pending request")} cancelled, ${plural(revoked, "grant")} revoked.`;
    names = s.map((a) => a.agent.name);
  } else {
    const r = outcome.result.resumed;
    headline = r.length === 0 ? `No suspended agent${which}: nothing was resumed.` : `Resumed ${plural(r.length, "agent")}${which}.`;
    names = r.map((a) => a.agent.name);
  }
  return (
    <Notice tone="warning" testId="bulk-outcome">
      <div className="flex flex-wrap items-start justify-between gap-x-4 gap-y-1">
        <p className="font-medium">{headline}</p>
        <button type="button" onClick={onDismiss} className="text-sm font-medium text-amber-900 underline decoration-amber-300 underline-offset-2">
          Dismiss
        </button>
      </div>
      {skipped > 0 ? (
        <p className="mt-0.5">
          {plural(skipped, "matching agent")} {outcome.action === "suspend" ? "already suspended" : "not suspended"}, left as{" "}
          {skipped === 1 ? "it was" : "they were"}.
        </p>
      ) : null}
      {names.length > 0 ? (
        <details className="mt-1.5">
          <summary className="cursor-pointer text-sm">Which agents</summary>
          <ul className="mt-1 flex flex-wrap gap-1" data-testid="bulk-outcome-agents">
            {names.map((n) => (
              <li key={n} className="rounded-md bg-white/70 px-1.5 py-0.5 font-mono text-xs text-amber-950 ring-1 ring-inset ring-amber-200">
                {n}
              </li>
            ))}
          </ul>
        </details>
      ) : null}
    </Notice>
  );
}
