"use client";

import { useState } from "react";
import { formatDateTime } from "../format";
import { Card } from "../ui/card";
import { ActionLabel } from "./action-label";
import { AgentCard } from "./agent-card";
import { ConditionErrors } from "./condition-errors";
import { ContextView } from "./context-view";
import { DecisionForm, type Decision, type HighRisk } from "./decision-form";
import { DecisionRecord } from "./decision-record";
import { ExecutionCard } from "./execution-card";
import { HiddenCharactersWarning, hiddenFindings } from "./hidden-characters-warning";
import { diffParams, initialDraft, ParamsEditor, readAmendment } from "./params-editor";
import { ParamsView } from "./params-view";
import { PolicyCard } from "./policy-card";
import { PreviousApproval } from "./previous-approval";
import { KeptReason } from "./kept-reason";
import { RiskCard, scoreBand } from "./risk-signals";
import { SummaryMismatch } from "./summary-mismatch";
import { StatusBadge } from "./status-badge";
import { TimeLeft } from "./time-left";
import type { ReviewItem } from "@/lib/schemas/review";
import { useNow } from "../use-now";
import { VisibleText } from "./visible-text";

export interface RequestDetailProps {
  item: ReviewItem;
  /** Open with the amend editor on (the page was opened with `?edit=1`). */
  startEditing?: boolean;
  submitting: Decision | null;
  serverError: string | null;
  /** The server's field errors for the last refused decision (`params.<name>` for an edit it refused). */
  serverErrors?: { path: string; message: string }[];
  onDecide(decision: Decision, reason: string, params?: Record<string, unknown>): void;
  /** The amendment changed: a refusal of the previous one no longer applies. */
  onEdit?(): void;
  /** Show "Propose a rule" on a request people approved or denied (admins). */
  canProposeRule?: boolean;
}

/** Everything a reviewer needs to judge one request, and the place to decide it. */
export function RequestDetail({
  item,
  startEditing = false,
  submitting,
  serverError,
  serverErrors,
  onDecide,
  onEdit,
  canProposeRule = false,
}: RequestDetailProps) {
  const status = useLiveStatus(item);
  const pending = status === "pending";
  // The reason is kept here, not in the form: when the request is decided elsewhere (or expires) while it is being written, the text stays.
  const [reason, setReason] = useState("");
  const [sentHere, setSentHere] = useState(false);
  const editable = pending && item.can_decide ? item.reviewers_may_edit : [];
  // Amend on approve: the edited fields' text, or null when not editing.
  // Kept with the params it was started from: when another reviewer amends them meanwhile, the draft is dropped, not applied to theirs.
  const [edit, setEdit] = useState<{ basis: string; draft: Record<string, string> } | null>(() =>
    startEditing && editable.length > 0 ? { basis: item.params_sha256, draft: initialDraft(item.params, editable) } : null,
  );
  const draft = edit && edit.basis === item.params_sha256 ? edit.draft : null;
  const setDraft = (next: Record<string, string> | null) => {
    setEdit(next ? { basis: item.params_sha256, draft: next } : null);
    onEdit?.();
  };
  const amendment = draft && editable.length > 0 ? readAmendment(item.params, editable, draft) : null;
  const fieldErrors: Record<string, string> = {};
  for (const e of serverErrors ?? []) if (e.path.startsWith("params.")) fieldErrors[e.path.slice("params.".length)] = e.message;
  for (const p of amendment?.problems ?? []) fieldErrors[p.name] = p.message;
  const editToggle =
    editable.length > 0 ? (
      <button
        type="button"
        aria-pressed={draft !== null}
        data-testid="amend-toggle"
        onClick={() => setDraft(draft ? null : initialDraft(item.params, editable))}
        className="inline-flex h-8 items-center rounded-lg border border-zinc-200 bg-white px-2.5 text-xs font-medium text-zinc-700 shadow-xs transition-colors hover:bg-zinc-50 hover:text-zinc-900 aria-pressed:border-amber-400 aria-pressed:bg-amber-50 aria-pressed:text-amber-900"
      >
        {draft ? "Cancel edit" : "Edit"}
      </button>
    ) : null;
  return (
    <article className={`space-y-6 ${pending ? "max-lg:pb-20" : ""}`} data-testid="request-detail" data-status={status}>
      <RequestHeader item={item} status={status} />
      <HiddenCharactersWarning findings={hiddenFindings(item)} />
      <ConditionErrors errors={item.condition_errors} />
      <div className="grid gap-6 lg:grid-cols-[minmax(0,1fr)_22rem]">
        <div className="min-w-0 space-y-6">
          <Card title="Justification">
            {item.justification ? (
              <p className="whitespace-pre-wrap break-words text-sm leading-relaxed text-zinc-800" data-testid="justification">
                <VisibleText text={item.justification} />
              </p>
            ) : (
              <p className="text-sm text-zinc-400">The agent gave no justification.</p>
            )}
          </Card>
          <RiskCard risk={item.risk} />
          <ParamsView
            params={item.params}
            sha256={item.params_sha256}
            aside={editToggle}
            editor={
              draft && editable.length > 0 ? (
                <ParamsEditor params={item.params} editable={editable} draft={draft} onDraft={setDraft} fieldErrors={fieldErrors} />
              ) : null
            }
            amended={item.original_params ? { by: item.amended_by, changes: diffParams(item.original_params, item.params) } : null}
          />
          <PreviousApproval item={item} />
          <ContextView context={item.context} />
          <AgentCard agent={item.agent} />
        </div>
        <aside className="min-w-0 space-y-6">
          {!pending && reason.trim() && (!sentHere || serverError) ? (
            <KeptReason item={item} status={status} reason={reason} onDiscard={() => setReason("")} />
          ) : null}
          {pending ? (
            <DecisionForm
              reason={reason}
              onReasonChange={(r) => {
                setReason(r);
                setSentHere(false);
              }}
              highRisk={highRiskOf(item)}
              canDecide={item.can_decide}
              cannotDecideReason={item.cannot_decide_reason}
              submitting={submitting}
              serverError={serverError}
              amendment={amendment}
              reasonRequiredToApprove={item.reason_required_to_approve}
              onDecide={(decision, reason) => {
                setSentHere(true);
                onDecide(decision, reason, decision === "approve" && amendment?.params && amendment.changes.length > 0 ? amendment.params : undefined);
              }}
            />
          ) : null}
          <DecisionRecord item={item} status={status} />
          <ExecutionCard item={item} />
          <PolicyCard
            policy={item.policy}
            shadowMatches={item.shadow_matches}
            proposeHref={
              canProposeRule && (status === "approved" || status === "denied") && item.decision?.by.startsWith("user:")
                ? `/admin/policies/new?from=${encodeURIComponent(item.id)}`
                : null
            }
          />
        </aside>
      </div>
    </article>
  );
}

/**
 * The request's status as of now: a pending request whose expiry has passed
 * shows as expired at that second, before the server's sweep says so (the
 * page refetches then), so nobody is offered buttons that can only fail.
 */
export function useLiveStatus(item: ReviewItem): ReviewItem["status"] {
  const now = useNow();
  return item.status === "pending" && now !== null && now >= Date.parse(item.expires_at) ? "expired" : item.status;
}

/** A request in the high or critical risk band: approving it takes a second step (and for critical, typing its action). */
function highRiskOf(item: ReviewItem): HighRisk | null {
  if (!item.risk) return null;
  const band = scoreBand(item.risk.score);
  if (band !== "high" && band !== "critical") return null;
  const order = ["critical", "high", "medium", "low"];
  const top = [...item.risk.flags].sort((a, b) => order.indexOf(a.severity) - order.indexOf(b.severity))[0];
  return { score: item.risk.score, band, why: top?.explanation ?? null, action: item.action };
}

/** Status, action, the agent's summary (with the summary check), who asked and how long is left: wherever a request is decided. */
export function RequestHeader({ item, eyebrow, status = item.status }: { item: ReviewItem; eyebrow?: string; status?: ReviewItem["status"] }) {
  return (
    <header className="space-y-3">
      {eyebrow ? <p className="text-sm font-medium text-zinc-500">{eyebrow}</p> : null}
      <div className="flex flex-wrap items-center gap-2">
        <StatusBadge status={status} />
        <ActionLabel action={item.action} resource={item.resource} />
      </div>
      <h1 className="break-words text-xl font-semibold tracking-tight text-zinc-900 sm:text-2xl" data-testid="request-summary">
        <VisibleText text={item.summary} />
      </h1>
      <SummaryMismatch item={item} />
      <p className="flex flex-wrap items-center gap-x-4 gap-y-1 text-sm text-zinc-500">
        <span>
          from <span className="font-medium text-zinc-700">{item.agent.name}</span>
        </span>
        <span>Created {formatDateTime(item.created_at)}</span>
        {item.status === "pending" ? <TimeLeft expiresAt={item.expires_at} /> : null}
        {item.status === "pending" && status === "expired" ? (
          <span className="font-medium text-zinc-700" data-testid="expired-now">
            It can no longer be decided.
          </span>
        ) : null}
        <span className="font-mono text-xs text-zinc-400">{item.id}</span>
      </p>
    </header>
  );
}
