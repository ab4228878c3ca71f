"use client";

import { useEffect, useRef, useState } from "react";
import type { Problem, RequestObject } from "@/lib/schemas/requests";
import type { ReviewItem } from "@/lib/schemas/review";
import { sentenceCase } from "../format";
import { BotIcon, CheckIcon, SpinnerIcon, XIcon } from "../ui/icons";
import { Notice } from "../ui/notice";
import { ActionLabel } from "./action-label";
import { RiskScore } from "./risk-signals";
import type { Decision } from "./decision-form";
import { VisibleText } from "./visible-text";

export interface DecisionItemResult {
  id: string;
  status: number;
  request?: RequestObject;
  problem?: Problem;
}

interface DecisionConfirmProps {
  decision: Decision;
  items: ReviewItem[];
  submitting: boolean;
  /** Per-item answers once sent; shown in place of the buttons. */
  results: DecisionItemResult[] | null;
  /** When the whole call was refused (e.g. signed out, server down). */
  error: string | null;
  onConfirm(reason: string): void;
  onClose(): void;
}

/** What a result means to the reviewer, in a few words. */
export function resultLabel(r: DecisionItemResult): { ok: boolean; text: string } {
  if (r.request) {
    const s = r.request.status;
    if (s === "pending") return { ok: true, text: `Vote recorded (${r.request.approvals.length} of ${r.request.policy.approvals_required} approvals)` };
    return { ok: true, text: sentenceCase(s) };
  }
  return { ok: false, text: sentenceCase(r.problem?.detail ?? `refused (${r.status})`) };
}

/**
 * The confirmation before one decision is cast on one or more requests: each
 * item with its action, agent and full params (as inert text, hidden
 * characters shown), a reason (required to deny), then every item's result.
 * A modal <dialog>: Escape cancels, focus starts in the reason field.
 */
export function DecisionConfirm({ decision, items, submitting, results, error, onConfirm, onClose }: DecisionConfirmProps) {
  const dialog = useRef<HTMLDialogElement>(null);
  const reasonField = useRef<HTMLInputElement>(null);
  const closeButton = useRef<HTMLButtonElement>(null);
  const [reason, setReason] = useState("");
  const [localError, setLocalError] = useState<string | null>(null);
  // Approving high-risk requests (score ≥ 70) takes a deliberate tick, in a batch as on the request page.
  const risky = decision === "approve" ? items.filter((i) => (i.risk?.score ?? 0) >= 70) : [];
  const [riskAck, setRiskAck] = useState(false);
  const verb = decision === "approve" ? "Approve" : "Deny";
  const noun = items.length === 1 ? "request" : "requests";

  useEffect(() => {
    const d = dialog.current;
    if (d && !d.open) d.showModal();
    // The person asked for this dialog with a key: the reason is what comes next.
    reasonField.current?.focus();
    return () => d?.close();
  }, []);

  const answered = results !== null;
  useEffect(() => {
    // With the results on screen, Enter closes.
    if (answered) closeButton.current?.focus();
  }, [answered]);

  const byId = new Map(results?.map((r) => [r.id, r]));

  return (
    <dialog
      ref={dialog}
      onClose={onClose}
      onCancel={(e) => {
        if (submitting) e.preventDefault();
      }}
      aria-labelledby="decision-confirm-title"
      data-testid="decision-confirm"
      data-decision={decision}
      className="m-auto w-[min(42rem,calc(100vw-1.5rem))] max-h-[calc(100dvh-1.5rem)] overflow-hidden rounded-xl border border-zinc-200 bg-white p-0 text-zinc-900 shadow-xl backdrop:bg-zinc-950/40"
    >
      <form
        method="dialog"
        className="flex max-h-[calc(100dvh-1.5rem)] flex-col"
        onSubmit={(e) => {
          e.preventDefault();
          if (results) return onClose();
          if (decision === "deny" && !reason.trim()) {
            setLocalError("A reason is required to deny.");
            return;
          }
          if (risky.length > 0 && !riskAck) {
            setLocalError(`Tick the box to confirm you checked the ${risky.length === 1 ? "high-risk request" : `${risky.length} high-risk requests`}.`);
            return;
          }
          setLocalError(null);
          onConfirm(reason.trim());
        }}
      >
        <header className="border-b border-zinc-200 px-5 py-4">
          <h2 id="decision-confirm-title" className="text-base font-semibold tracking-tight">
            {results ? `${verb}: results` : `${verb} ${items.length} ${noun}?`}
          </h2>
          <p className="mt-0.5 text-sm text-zinc-500">
            {results
              ? `${results.filter((r) => r.status === 200).length} of ${results.length} decided as asked.`
              : "Check every item: each is decided exactly as if you opened it and clicked."}
          </p>
        </header>
        <ol className="min-h-0 flex-1 divide-y divide-zinc-100 overflow-y-auto" data-testid="confirm-items">
          {items.map((item) => {
            const result = byId.get(item.id);
            const label = result ? resultLabel(result) : null;
            return (
              <li key={item.id} className="space-y-1.5 px-5 py-3" data-testid="confirm-item" data-request-id={item.id}>
                <p className="break-words text-sm font-medium">
                  <VisibleText text={item.summary} />
                </p>
                <div className="flex flex-wrap items-center gap-x-3 gap-y-1 text-xs text-zinc-600">
                  <ActionLabel action={item.action} resource={item.resource} />
                  <RiskScore risk={item.risk} />
                  <span className="inline-flex items-center gap-1">
                    <BotIcon className="size-3.5 text-zinc-400" />
                    {item.agent.name}
                  </span>
                </div>
                <pre
                  className="max-h-40 overflow-auto whitespace-pre-wrap break-all rounded-md bg-zinc-50 px-2.5 py-1.5 font-mono text-xs leading-relaxed text-zinc-800 ring-1 ring-inset ring-zinc-200"
                  data-testid="confirm-params"
                >
                  <VisibleText text={JSON.stringify(item.params, null, 2)} />
                </pre>
                {label ? (
                  <p
                    className={`inline-flex items-center gap-1 text-xs font-medium ${label.ok ? "text-emerald-700" : "text-red-700"}`}
                    data-testid="confirm-result"
                    data-status={result?.status}
                  >
                    {label.ok ? <CheckIcon className="size-3.5" /> : <XIcon className="size-3.5" />}
                    {label.text}
                  </p>
                ) : null}
              </li>
            );
          })}
        </ol>
        <div className="space-y-3 border-t border-zinc-200 bg-zinc-50/60 px-5 py-4">
          {results ? null : (
            <div>
              <label htmlFor="confirm-reason" className="mb-1 block text-sm font-medium text-zinc-800">
                Reason <span className="font-normal text-zinc-500">{decision === "deny" ? "(required to deny)" : "(optional; some rules require one)"}</span>
              </label>
              <input
                id="confirm-reason"
                ref={reasonField}
                type="text"
                maxLength={2000}
                value={reason}
                disabled={submitting}
                aria-invalid={localError ? true : undefined}
                onChange={(e) => {
                  setReason(e.target.value);
                  if (localError) setLocalError(null);
                }}
                placeholder={decision === "deny" ? "Why is this denied?" : "What did you check?"}
                className="block h-10 w-full rounded-lg border border-zinc-300 bg-white px-3 text-sm shadow-xs placeholder:text-zinc-400 focus:border-zinc-900 focus:outline-none focus:ring-2 focus:ring-zinc-900/10 aria-invalid:border-red-400"
              />
            </div>
          )}
          {risky.length > 0 && !results ? (
            <label className="flex items-start gap-2 rounded-lg border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-900" data-testid="risk-ack">
              <input
                type="checkbox"
                checked={riskAck}
                disabled={submitting}
                onChange={(e) => {
                  setRiskAck(e.target.checked);
                  if (localError) setLocalError(null);
                }}
                className="mt-0.5 size-4 accent-red-700"
              />
              <span>
                {risky.length === 1 ? "This request is" : `${risky.length} of these requests are`} high risk (score 70 or more). I checked{" "}
                {risky.length === 1 ? "its" : "their"} params.
              </span>
            </label>
          ) : null}
          {localError || error ? (
            <Notice tone="error" testId="confirm-error">
              {localError ?? error}
            </Notice>
          ) : null}
          <div className="flex justify-end gap-2">
            {results ? (
              <button
                type="submit"
                ref={closeButton}
                className="inline-flex h-10 items-center rounded-lg bg-zinc-900 px-4 text-sm font-medium text-white shadow-xs hover:bg-zinc-800"
              >
                Close
              </button>
            ) : (
              <>
                <button
                  type="button"
                  onClick={onClose}
                  disabled={submitting}
                  className="inline-flex h-10 items-center rounded-lg border border-zinc-300 bg-white px-4 text-sm font-medium text-zinc-700 shadow-xs hover:bg-zinc-50 disabled:opacity-50"
                >
                  Cancel
                </button>
                <button
                  type="submit"
                  disabled={submitting}
                  className={`inline-flex h-10 items-center gap-1.5 rounded-lg px-4 text-sm font-medium text-white shadow-xs disabled:opacity-60 ${decision === "approve" ? "bg-emerald-600 hover:bg-emerald-700" : "bg-red-600 hover:bg-red-700"}`}
                >
                  {submitting ? <SpinnerIcon /> : decision === "approve" ? <CheckIcon /> : <XIcon />}
                  {verb} {items.length}
                </button>
              </>
            )}
          </div>
        </div>
      </form>
    </dialog>
  );
}
