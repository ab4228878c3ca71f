"use client";

import { useEffect, useRef, useState } from "react";
import type { DecisionBody } from "@/lib/schemas/requests";
import { sentenceCase } from "../format";
import { Card } from "../ui/card";
import { CheckIcon, SpinnerIcon, XIcon } from "../ui/icons";
import { Notice } from "../ui/notice";
import { type Amendment, ParamsDiff } from "./params-editor";
import { VisibleText } from "./visible-text";

export type Decision = DecisionBody["decision"];

interface DecisionFormProps {
  canDecide: boolean;
  cannotDecideReason: string | null;
  /** Which decision is being sent, while it is in flight. */
  submitting: Decision | null;
  /** The server's explanation when it refused the decision. */
  serverError: string | null;
  onDecide(decision: Decision, reason: string): void;
  /** The reviewer's amendment in progress (amend on approve): its changes are shown, and approving needs a reason. */
  amendment?: Amendment | null;
  /** The rule needs a reason to approve too: said before anyone clicks, not by the server's 422. */
  reasonRequiredToApprove?: boolean;
  /** The reason being written: kept by the page, so it survives the form going away (another reviewer decided meanwhile). */
  reason: string;
  onReasonChange(reason: string): void;
  /** A high-risk request: approving asks again, and for a critical one the action's name must be typed. */
  highRisk?: HighRisk | null;
}

export interface HighRisk {
  score: number;
  band: "high" | "critical";
  /** The most severe flag's explanation, to say why. */
  why: string | null;
  action: string;
}

/**
 * Approve or deny with a reason. A reason is always required to deny; the
 * server enforces that too, and its answer is shown as is.
 */
export function DecisionForm({
  canDecide,
  cannotDecideReason,
  submitting,
  serverError,
  onDecide,
  amendment,
  reasonRequiredToApprove = false,
  reason,
  onReasonChange,
  highRisk = null,
}: DecisionFormProps) {
  const [localError, setLocalError] = useState<string | null>(null);
  // Approving a high-risk request takes a second, deliberate step.
  const [riskCheck, setRiskCheck] = useState<{ typed: string } | null>(null);
  // The person just asked to approve: the check they must pass next takes focus.
  const riskFocus = useRef<HTMLElement>(null);
  const checking = riskCheck !== null;
  useEffect(() => {
    if (checking) riskFocus.current?.focus();
  }, [checking]);
  const disabled = !canDecide || submitting !== null;
  const amending = amendment != null && (amendment.changes.length > 0 || amendment.problems.length > 0);
  const typedOk = !highRisk || highRisk.band !== "critical" || riskCheck?.typed.trim() === highRisk.action;

  function decide(decision: Decision) {
    if (decision === "deny" && !reason.trim()) {
      setLocalError("A reason is required to deny a request.");
      // On a phone the buttons sit in a bar at the bottom of the screen: bring the reason into view.
      document.getElementById("decision-reason")?.focus();
      return;
    }
    if (decision === "approve" && amending) {
      if (amendment.problems.length > 0) {
        setLocalError(`Fix the amended ${amendment.problems.map((p) => p.name).join(", ")} first.`);
        return;
      }
      if (!reason.trim()) {
        setLocalError("A reason is required to amend the params.");
        return;
      }
    }
    if (decision === "approve" && reasonRequiredToApprove && !reason.trim()) {
      setLocalError("This rule requires a reason to approve.");
      document.getElementById("decision-reason")?.focus();
      return;
    }
    setLocalError(null);
    if (decision === "approve" && highRisk && riskCheck === null) {
      setRiskCheck({ typed: "" });
      return;
    }
    if (decision === "approve" && !typedOk) return;
    setRiskCheck(null);
    onDecide(decision, reason.trim());
  }

  return (
    <Card title="Your decision">
      <form
        className="space-y-3"
        onSubmit={(e) => {
          e.preventDefault();
          decide("approve");
        }}
      >
        {!canDecide && cannotDecideReason ? (
          <Notice tone="warning" icon="lock">
            <span data-testid="cannot-decide-reason">{sentenceCase(cannotDecideReason)}.</span>
          </Notice>
        ) : null}
        <div>
          <label htmlFor="decision-reason" className="mb-1.5 block text-sm font-medium text-zinc-800">
            Reason
            {reasonRequiredToApprove ? <span className="font-normal text-zinc-500"> (this rule requires one to approve)</span> : null}
          </label>
          <textarea
            id="decision-reason"
            name="reason"
            rows={3}
            maxLength={2000}
            value={reason}
            disabled={disabled}
            aria-invalid={localError ? true : undefined}
            aria-describedby="decision-reason-hint"
            onChange={(e) => {
              onReasonChange(e.target.value);
              if (localError) setLocalError(null);
            }}
            placeholder={
              amending
                ? "Why change the params? Required to amend."
                : reasonRequiredToApprove
                  ? "What did you check? Required to approve or deny."
                  : "What did you check? Required to deny."
            }
            className="block w-full resize-y rounded-lg border border-zinc-300 bg-white px-3 py-2 text-sm text-zinc-900 shadow-xs placeholder:text-zinc-400 focus:border-zinc-900 focus:outline-none focus:ring-2 focus:ring-zinc-900/10 disabled:cursor-not-allowed disabled:bg-zinc-50 disabled:text-zinc-400 aria-invalid:border-red-400"
          />
          <p id="decision-reason-hint" className="mt-1 text-xs text-zinc-500">
            Recorded in the audit log and sent to the agent.
          </p>
        </div>
        {amendment && amendment.changes.length > 0 ? (
          <div className="rounded-lg border border-amber-300 bg-amber-50 p-3" data-testid="decision-amendment">
            <p className="mb-1.5 text-xs font-medium text-amber-900">Approving will bind the amended params:</p>
            <ParamsDiff changes={amendment.changes} />
          </div>
        ) : null}
        {highRisk && riskCheck ? (
          <div
            role="alertdialog"
            aria-labelledby="risk-check-title"
            className="space-y-2 rounded-lg border border-red-300 bg-red-50 p-3 text-sm text-red-900"
            data-testid="risk-confirm"
          >
            <p id="risk-check-title" className="font-medium">
              {highRisk.band === "critical" ? "Critical" : "High"} risk (score {highRisk.score}). Approve anyway?
            </p>
            {highRisk.why ? (
              <p className="text-xs">
                <VisibleText text={highRisk.why} />
              </p>
            ) : null}
            {highRisk.band === "critical" ? (
              <label className="block text-xs">
                Type <span className="font-mono font-semibold">{highRisk.action}</span> to approve
                <input
                  ref={riskFocus as React.RefObject<HTMLInputElement>}
                  value={riskCheck.typed}
                  onChange={(e) => setRiskCheck({ typed: e.target.value })}
                  data-testid="risk-confirm-input"
                  autoComplete="off"
                  spellCheck={false}
                  className="mt-1 block h-9 w-full rounded-md border border-red-300 bg-white px-2 font-mono text-sm text-zinc-900 focus:border-red-600 focus:outline-none focus:ring-2 focus:ring-red-600/20"
                />
              </label>
            ) : null}
            <div className="flex gap-2">
              <button
                type="button"
                disabled={!typedOk || disabled}
                ref={highRisk.band === "critical" ? undefined : (riskFocus as React.RefObject<HTMLButtonElement>)}
                onClick={() => decide("approve")}
                data-testid="risk-confirm-approve"
                className="inline-flex h-9 items-center gap-1.5 rounded-lg bg-red-700 px-3 text-sm font-medium text-white shadow-xs hover:bg-red-800 disabled:cursor-not-allowed disabled:opacity-50"
              >
                <CheckIcon /> Approve anyway
              </button>
              <button
                type="button"
                onClick={() => setRiskCheck(null)}
                className="inline-flex h-9 items-center rounded-lg border border-zinc-300 bg-white px-3 text-sm font-medium text-zinc-700 hover:bg-zinc-50"
              >
                Back
              </button>
            </div>
          </div>
        ) : null}
        {/* One message at a time: the form's own check, else the server's answer to the last try. */}
        {localError ? (
          <Notice tone="error" testId="decision-error">
            {localError}
          </Notice>
        ) : serverError ? (
          <Notice tone="error" testId="decision-error">
            {serverError}
          </Notice>
        ) : null}

        {/* On phones a bar fixed at the bottom of the screen, so a decision is one tap away wherever the reader is. */}
        <div
          data-testid="decision-bar"
          className="grid grid-cols-2 gap-2 max-lg:fixed max-lg:inset-x-0 max-lg:bottom-0 max-lg:z-30 max-lg:border-t max-lg:border-zinc-200 max-lg:bg-white/95 max-lg:px-4 max-lg:pt-3 max-lg:pb-[max(0.75rem,env(safe-area-inset-bottom))] max-lg:shadow-[0_-4px_12px_rgb(0_0_0/0.06)] max-lg:backdrop-blur"
        >
          <button
            type="button"
            disabled={disabled}
            onClick={() => decide("deny")}
            className="inline-flex h-10 items-center justify-center gap-1.5 rounded-lg border border-zinc-300 bg-white px-4 text-sm font-medium text-red-700 shadow-xs transition-colors hover:border-red-300 hover:bg-red-50 disabled:cursor-not-allowed disabled:opacity-50 disabled:hover:border-zinc-300 disabled:hover:bg-white"
          >
            {submitting === "deny" ? <SpinnerIcon /> : <XIcon />}
            Deny
          </button>
          <button
            type="submit"
            disabled={disabled}
            className="inline-flex h-10 items-center justify-center gap-1.5 rounded-lg bg-emerald-600 px-3 text-sm whitespace-nowrap font-medium text-white shadow-xs transition-colors hover:bg-emerald-700 disabled:cursor-not-allowed disabled:opacity-50 disabled:hover:bg-emerald-600"
          >
            {submitting === "approve" ? <SpinnerIcon /> : <CheckIcon />}
            {amendment && amendment.changes.length > 0 ? "Approve amended" : "Approve"}
          </button>
        </div>
      </form>
    </Card>
  );
}
