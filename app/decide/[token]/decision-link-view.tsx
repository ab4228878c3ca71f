"use client";

import { useMutation, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { HiddenCharactersWarning, hiddenFindings } from "@/components/requests/hidden-characters-warning";
import { ParamsView } from "@/components/requests/params-view";
import { RequestHeader } from "@/components/requests/request-detail";
import { RiskCard } from "@/components/requests/risk-signals";
import { Card } from "@/components/ui/card";
import { EmptyState } from "@/components/ui/empty-state";
import { InboxIcon, SpinnerIcon } from "@/components/ui/icons";
import { LoadError } from "@/components/ui/load-error";
import { Notice } from "@/components/ui/notice";
import type { ReviewItem } from "@/lib/schemas/review";

interface DecisionLink {
  state: "ready" | "used" | "expired";
  decision: "approve" | "deny";
  expires_at: string;
  reason_required: boolean;
  request: ReviewItem;
}

class LinkError extends Error {
  constructor(
    readonly status: number,
    detail: string,
  ) {
    super(detail);
  }
}

async function call<T>(url: string, init?: RequestInit): Promise<T> {
  const res = await fetch(url, { cache: "no-store", ...init, headers: { accept: "application/json", ...(init?.headers ?? {}) } });
  const body = await res.json().catch(() => null);
  if (!res.ok) throw new LinkError(res.status, body?.detail ?? `The server answered ${res.status}.`);
  return body as T;
}

const VERB = { approve: "Approve", deny: "Deny" } as const;

/** The confirmation page of a one-time decision link: the request, the decision the link names, and one button to confirm it. */
export function DecisionLinkView({ token }: { token: string }) {
  const url = `/api/v1/decision-links/${encodeURIComponent(token)}`;
  const link = useQuery({ queryKey: ["decision-link", token], queryFn: () => call<DecisionLink>(url), retry: false });
  const confirm = useMutation({
    mutationFn: (reason: string) =>
      call<ReviewItem>(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(reason ? { reason } : {}) }),
  });
  const [reason, setReason] = useState("");

  if (link.error) {
    return link.error instanceof LinkError && link.error.status === 404 ? (
      <EmptyState icon={<InboxIcon className="size-5" />} title="This link is not valid">
        It may be mistyped, or it was sent to someone else. Decision links only work for the reviewer they were emailed to.
      </EmptyState>
    ) : (
      <LoadError what="this link" message={link.error.message} onRetry={() => void link.refetch()} />
    );
  }
  if (!link.data) {
    return (
      <div className="flex items-center gap-2 py-16 text-sm text-zinc-500" aria-busy="true">
        <SpinnerIcon className="size-4 animate-spin" /> Loading…
      </div>
    );
  }
  const { decision } = link.data;
  const done = confirm.data;
  // After confirming, the request as the vote left it.
  const item = done ?? link.data.request;
  const verb = VERB[decision];
  const openRequest = (
    <Link href={`/requests/${item.id}`} className="font-medium text-zinc-900 underline decoration-zinc-300 underline-offset-2">
      Open the request
    </Link>
  );

  return (
    <div className="mx-auto max-w-3xl space-y-6 pb-24 sm:pb-0" data-testid="decision-link" data-state={done ? "confirmed" : link.data.state}>
      <RequestHeader item={item} eyebrow="Decision link from your email" />

      <HiddenCharactersWarning findings={hiddenFindings(item)} />

      {done ? (
        <div role="status" data-testid="decision-link-done" className="rounded-lg border border-emerald-200 bg-emerald-50 px-3 py-2.5 text-sm text-emerald-900">
          Your vote to {decision} is recorded; the request is now <strong>{done.status}</strong>. {openRequest}
        </div>
      ) : link.data.state === "used" ? (
        <Notice tone="warning" testId="decision-link-used">
          This link was already used: it works once. {openRequest} to see where it stands.
        </Notice>
      ) : link.data.state === "expired" ? (
        <Notice tone="warning" testId="decision-link-expired">
          This link has expired. {openRequest} to decide it there.
        </Notice>
      ) : item.status !== "pending" ? (
        <Notice tone="warning" testId="decision-link-decided">
          This request is already {item.status}. {openRequest}
        </Notice>
      ) : !item.can_decide ? (
        <Notice tone="warning" icon="lock" testId="decision-link-refused">
          You cannot decide this request: {item.cannot_decide_reason}.
        </Notice>
      ) : (
        <Card title={`${verb} this request?`}>
          <form
            className="space-y-3"
            onSubmit={(e) => {
              e.preventDefault();
              confirm.mutate(reason.trim());
            }}
          >
            <p className="text-sm text-zinc-600">
              Nothing is decided until you confirm. Check the parameters below: they are exactly what the grant will bind.
            </p>
            <label className="block">
              <span className="mb-1 block text-sm font-medium text-zinc-700">Reason{link.data.reason_required ? " (required)" : " (optional)"}</span>
              <textarea
                name="reason"
                rows={3}
                maxLength={2000}
                required={link.data.reason_required}
                value={reason}
                onChange={(e) => setReason(e.target.value)}
                placeholder={decision === "deny" ? "Why deny? The agent and the audit log see this." : "Why approve?"}
                className="w-full rounded-md border border-zinc-300 bg-white px-3 py-2 text-sm shadow-xs focus:border-zinc-500 focus:outline-none"
              />
            </label>
            {confirm.error ? (
              <Notice tone="error" testId="decision-link-error">
                Not decided: {confirm.error.message}
              </Notice>
            ) : null}
            <div className="flex flex-wrap items-center gap-3">
              <button
                type="submit"
                data-testid="confirm-decision"
                disabled={confirm.isPending || (link.data.reason_required && !reason.trim())}
                className={`h-10 rounded-md px-4 text-sm font-medium text-white shadow-xs disabled:opacity-50 ${
                  decision === "deny" ? "bg-red-700 hover:bg-red-800" : "bg-emerald-700 hover:bg-emerald-800"
                }`}
              >
                {confirm.isPending ? "Saving…" : `Confirm: ${verb.toLowerCase()}`}
              </button>
              {openRequest}
            </div>
          </form>
        </Card>
      )}

      <RiskCard risk={item.risk} />
      <ParamsView params={item.params} sha256={item.params_sha256} />
    </div>
  );
}
