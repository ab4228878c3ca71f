"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useEffect, useRef, useState } from "react";
import { DecisionConfirm } from "@/components/requests/decision-confirm";
import type { Decision } from "@/components/requests/decision-form";
import { ShortcutsHelp } from "@/components/requests/shortcuts-help";
import { VisibleText } from "@/components/requests/visible-text";
import { ArrowRightIcon } from "@/components/ui/icons";
import { useNow } from "@/components/use-now";
import type { ReviewItem } from "@/lib/schemas/review";
import { useBatchDecision } from "../../_review/batch-api";
import { useQueue } from "../../_review/review-api";
import { useShortcuts } from "../../_review/use-shortcuts";

/**
 * Keyboard triage on a request's page: `a`/`d` open the confirmation for this
 * request (reason first), and once it is decided here, a link to the next
 * pending request this reviewer may decide takes focus (Enter or `n` opens it).
 */
export function RequestTriage({ item, decidedHere }: { item: ReviewItem; decidedHere: boolean }) {
  const router = useRouter();
  const now = useNow();
  const queue = useQueue("newest");
  const batch = useBatchDecision();
  const [confirming, setConfirming] = useState<Decision | null>(null);
  const [help, setHelp] = useState(false);
  const nextLink = useRef<HTMLAnchorElement>(null);

  const decided = item.status !== "pending" && (decidedHere || batch.data?.some((r) => r.id === item.id && r.status === 200) === true);
  const candidates = (queue.data?.data ?? []).filter((r) => r.id !== item.id && r.can_decide && (now === null || new Date(r.expires_at).getTime() > now));
  const next = candidates[0] ?? null;
  const canDecide = item.status === "pending" && item.can_decide;

  useShortcuts({
    a: () => (canDecide ? setConfirming("approve") : false),
    d: () => (canDecide ? setConfirming("deny") : false),
    n: () => (decided && next ? router.push(`/requests/${encodeURIComponent(next.id)}`) : false),
    "?": () => setHelp(true),
  });

  const showNext = decided && queue.data !== undefined;
  useEffect(() => {
    if (showNext) nextLink.current?.focus();
  }, [showNext]);

  return (
    <>
      {showNext ? (
        <div
          className="mb-5 flex flex-wrap items-center justify-between gap-3 rounded-xl border border-emerald-200 bg-emerald-50/70 px-4 py-3 text-sm"
          data-testid="next-request"
        >
          <span className="text-emerald-900">Decision recorded.</span>
          {next ? (
            <Link
              ref={nextLink}
              href={`/requests/${encodeURIComponent(next.id)}`}
              className="inline-flex min-w-0 items-center gap-1.5 rounded-md font-medium text-emerald-900 underline decoration-emerald-300 underline-offset-2 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-emerald-700"
              data-testid="next-request-link"
            >
              <span className="shrink-0">Next:</span>
              <span className="min-w-0 truncate">
                <VisibleText text={next.summary} />
              </span>
              <ArrowRightIcon className="size-4 shrink-0" />
            </Link>
          ) : (
            <Link ref={nextLink} href="/" className="font-medium text-emerald-900 underline underline-offset-2" data-testid="next-request-link">
              Nothing else for you to decide: back to the queue
            </Link>
          )}
        </div>
      ) : null}
      {confirming ? (
        <DecisionConfirm
          decision={confirming}
          items={[item]}
          submitting={batch.isPending}
          results={batch.data?.some((r) => r.status !== 200) ? batch.data : null}
          error={batch.error?.message ?? null}
          onConfirm={(reason) =>
            batch.mutate({ ids: [item.id], decision: confirming, reason }, { onSuccess: (r) => r.every((x) => x.status === 200) && setConfirming(null) })
          }
          onClose={() => setConfirming(null)}
        />
      ) : null}
      {help ? <ShortcutsHelp page="request" onClose={() => setHelp(false)} /> : null}
    </>
  );
}
