"use client";

import { useState } from "react";
import { formatDateTime } from "../format";
import { Card } from "../ui/card";
import { ActionLabel } from "./action-label";
import { AgentCard } from "./agent-card";
import { ConditionErrors } from "./condition-errors";
import { ContextView } from "./context-view";
import { DecisionForm, type Decision } from "./decision-form";
import { DecisionRecord } from "./decision-record";
import { ExecutionCard } from "./execution-card";
import { HiddenCharactersWarning, hiddenFindings } from "./hidden-characters-warning";
import { diffParams, initialDraft, ParamsEditor, readAmendment } from "./params-editor";
import { ParamsView } from "./params-view";
import { PolicyCard } from "./policy-card";
import { RiskCard } from "./risk-signals";
import { SummaryMismatch } from "./summary-mismatch";
import { StatusBadge } from "./status-badge";
import { TimeLeft } from "./time-left";
import type { ReviewItem } from "@/lib/schemas/review";
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
}

/** Everything a reviewer needs to judge one request, and the place to decide it. */
export function RequestDetail({ item, startEditing = false, submitting, serverError, serverErrors, onDecide, onEdit }: RequestDetailProps) {
  const editable = item.status === "pending" && item.can_decide ? item.reviewers_may_edit : [];
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
    <article className={`space-y-6 ${item.status === "pending" ? "max-lg:pb-20" : ""}`} data-testid="request-detail" data-status={item.status}>
      <RequestHeader item={item} />
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
          <ContextView context={item.context} />
          <AgentCard agent={item.agent} />
        </div>
        <aside className="min-w-0 space-y-6">
          {item.status === "pending" ? (
            <DecisionForm
              canDecide={item.can_decide}
              cannotDecideReason={item.cannot_decide_reason}
              submitting={submitting}
              serverError={serverError}
              amendment={amendment}
              reasonRequiredToApprove={item.reason_required_to_approve}
              onDecide={(decision, reason) =>
                onDecide(decision, reason, decision === "approve" && amendment?.params && amendment.changes.length > 0 ? amendment.params : undefined)
              }
            />
          ) : null}
          <DecisionRecord item={item} />
          <ExecutionCard item={item} />
          <PolicyCard policy={item.policy} />
        </aside>
      </div>
    </article>
  );
}

/** Status, action, the agent's summary (with the summary check), who asked and how long is left: wherever a request is decided. */
export function RequestHeader({ item, eyebrow }: { item: ReviewItem; eyebrow?: string }) {
  return (
    <header className="space-y-3">
      {eyebrow ? <p className="text-sm font-medium text-zinc-500">{eyebrow}</p> : null}
      <div className="flex flex-wrap items-center gap-2">
        <StatusBadge status={item.status} />
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
        <span className="font-mono text-xs text-zinc-400">{item.id}</span>
      </p>
    </header>
  );
}
