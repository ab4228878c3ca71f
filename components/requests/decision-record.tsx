import { formatDateTime } from "../format";
import { Card, Field, Fields, Muted } from "../ui/card";
import { StatusBadge } from "./status-badge";
import { TimeLeft } from "./time-left";
import type { ReviewItem } from "@/lib/schemas/review";
import { VoteCount } from "./vote-count";
import { VotesList } from "./votes-list";

/** Who or what made the terminal decision, in words a reviewer recognises. */
function decidedBy(item: ReviewItem): string {
  const by = item.decision?.by ?? "";
  if (by.startsWith("policy:")) return `Policy "${item.policy.name}"`;
  if (by === "system") return "Countersign (no decision in time)";
  if (by === "agent") return "The agent (cancelled)";
  if (item.status === "denied") return item.votes.find((v) => v.decision === "deny")?.reviewer ?? "A reviewer";
  if (item.status === "approved" && item.approvals.length) return item.approvals.map((a) => a.reviewer).join(", ");
  return "A reviewer";
}

/** Where the request stands: status, the clock, approvals, the decision and every vote. */
export function DecisionRecord({ item, status = item.status }: { item: ReviewItem; status?: ReviewItem["status"] }) {
  return (
    <Card title="Decision" aside={<StatusBadge status={status} />}>
      <div data-testid="decision-record">
        <Fields>
          <Field label="Approvals">
            <VoteCount approvals={item.approvals.length} required={item.policy.approvals_required} />
          </Field>
          {status === "pending" ? (
            <Field label="Expires">
              <TimeLeft expiresAt={item.expires_at} />
              <span className="block text-xs text-zinc-400">{formatDateTime(item.expires_at)}</span>
            </Field>
          ) : null}
          {item.decision ? (
            <>
              <Field label="Decided by">{decidedBy(item)}</Field>
              <Field label="Reason">
                {item.decision.reason ? (
                  <span className="whitespace-pre-wrap" data-testid="decision-reason">
                    {item.decision.reason}
                  </span>
                ) : (
                  <Muted>None given</Muted>
                )}
              </Field>
              <Field label="Decided at">{formatDateTime(item.decision.at)}</Field>
            </>
          ) : null}
        </Fields>
        <div className="mt-5 border-t border-zinc-100 pt-4">
          <h3 className="mb-3 text-xs font-medium uppercase tracking-wide text-zinc-500">Votes</h3>
          <VotesList votes={item.votes} />
        </div>
      </div>
    </Card>
  );
}
