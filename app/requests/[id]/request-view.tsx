"use client";

import Link from "next/link";
import { useEffect } from "react";
import { RequestDetail } from "@/components/requests/request-detail";
import { EmptyState } from "@/components/ui/empty-state";
import { ChevronLeftIcon, InboxIcon, SpinnerIcon } from "@/components/ui/icons";
import { LoadError } from "@/components/ui/load-error";
import { ProblemError, useDecision, useReviewRequest } from "../../_review/review-api";
import { RequestTriage } from "./request-triage";

/** One request, live: another reviewer's decision shows up without a reload. */
export function RequestView({
  id,
  showAudit = false,
  canProposeRule = false,
  startEditing = false,
}: {
  id: string;
  showAudit?: boolean;
  /** Admins may turn a decision into a proposed rule. */
  canProposeRule?: boolean;
  startEditing?: boolean;
}) {
  const { data: item, error, isPending, refetch } = useReviewRequest(id);
  const decision = useDecision(id);

  // At its expiry a pending request shows as expired at once (RequestDetail); the server's word follows a moment later.
  const expiresAt = item?.status === "pending" ? Date.parse(item.expires_at) : null;
  useEffect(() => {
    if (expiresAt === null) return;
    const t = setTimeout(() => void refetch(), Math.min(Math.max(expiresAt - Date.now() + 1000, 0), 2 ** 31 - 1));
    return () => clearTimeout(t);
  }, [expiresAt, refetch]);

  useEffect(() => {
    if (!item) return;
    // Next.js may write the page's metadata title after this effect (metadata streams in): keep ours.
    const title = `${item.action} · ${item.id} · Countersign`;
    const apply = () => {
      if (document.title !== title) document.title = title;
    };
    apply();
    const observer = new MutationObserver(apply);
    observer.observe(document.head, { subtree: true, childList: true, characterData: true });
    return () => observer.disconnect();
  }, [item]);

  return (
    <>
      <div className="mb-5 flex items-center justify-between gap-3">
        <Link href="/" className="inline-flex items-center gap-1 text-sm text-zinc-500 transition-colors hover:text-zinc-900">
          <ChevronLeftIcon className="size-4" />
          Queue
        </Link>
        {showAudit ? (
          <Link
            href={`/audit?request=${encodeURIComponent(id)}`}
            className="text-sm text-zinc-500 underline decoration-zinc-300 underline-offset-2 hover:text-zinc-900"
          >
            Audit events
          </Link>
        ) : null}
      </div>
      {item ? <RequestTriage item={item} decidedHere={decision.isSuccess} /> : null}
      {item ? (
        <RequestDetail
          item={item}
          startEditing={startEditing}
          canProposeRule={canProposeRule}
          submitting={decision.isPending ? (decision.variables?.decision ?? null) : null}
          serverError={decision.error?.message ?? null}
          serverErrors={decision.error instanceof ProblemError ? decision.error.errors : undefined}
          onDecide={(d, reason, params) => decision.mutate({ decision: d, reason, params })}
          onEdit={() => decision.reset()}
        />
      ) : error instanceof ProblemError && error.status === 404 ? (
        <EmptyState icon={<InboxIcon className="size-5" />} title="No such request">
          It may have been mistyped, or it does not exist.
        </EmptyState>
      ) : error ? (
        <LoadError what="this request" message={error.message} onRetry={() => void refetch()} />
      ) : isPending ? (
        <div className="flex items-center gap-2 py-16 text-sm text-zinc-500" aria-busy="true">
          <SpinnerIcon /> Loading request…
        </div>
      ) : null}
    </>
  );
}
