"use client";

import { useState } from "react";
import type { ReviewItem } from "@/lib/schemas/review";
import { sentenceCase } from "../format";
import { Card } from "../ui/card";
import { copyText, CopyIcon, type CopyState } from "../ui/copy";
import { CheckIcon } from "../ui/icons";

/**
 * The reviewer was writing a reason when the request was decided by someone
 * else, or expired: say so, by whom, and keep the text to copy, rather than
 * let it vanish with the form.
 */
export function KeptReason({ item, status, reason, onDiscard }: { item: ReviewItem; status: ReviewItem["status"]; reason: string; onDiscard(): void }) {
  const [copied, setCopied] = useState<CopyState>("idle");
  const who = item.decided_by ? (item.decided_by.name ?? item.decided_by.email) : null;
  const what =
    status === "expired"
      ? "The request expired while you were writing."
      : status === "cancelled"
        ? "The agent cancelled the request while you were writing."
        : `${who ? `${who} ${status}` : sentenceCase(status)} it while you were writing.`;
  return (
    <Card title="Your reason was not sent">
      <div className="space-y-2 text-sm" data-testid="kept-reason">
        <p className="font-medium text-amber-900" role="status">
          {what}
        </p>
        <p className="text-xs text-zinc-500">Your text is kept here until you leave the page.</p>
        <textarea
          readOnly
          value={reason}
          rows={3}
          aria-label="Your reason, not sent"
          data-testid="kept-reason-text"
          className="block w-full resize-y rounded-lg border border-zinc-200 bg-zinc-50 px-3 py-2 text-sm text-zinc-800"
        />
        <div className="flex gap-2">
          <button
            type="button"
            onClick={() => void copyText(reason, null).then(setCopied)}
            className="inline-flex h-8 items-center gap-1.5 rounded-lg border border-zinc-200 bg-white px-2.5 text-xs font-medium text-zinc-700 shadow-xs hover:bg-zinc-50"
          >
            {copied === "copied" ? <CheckIcon className="size-3.5 text-emerald-600" /> : <CopyIcon className="size-3.5" />}
            {copied === "copied" ? "Copied" : "Copy"}
          </button>
          <button
            type="button"
            onClick={onDiscard}
            className="inline-flex h-8 items-center rounded-lg px-2.5 text-xs font-medium text-zinc-500 hover:text-zinc-900"
          >
            Discard
          </button>
        </div>
      </div>
    </Card>
  );
}
