"use client";

import { useEffect, useId, useRef, useState } from "react";
import { type BulkAction, type BulkChoice, bulkPreview, bulkTags } from "@/lib/agents/bulk-preview";
import type { AgentObject } from "@/lib/schemas/admin-objects";
import { Notice } from "../ui/notice";
import { Button, ReasonField, selectClass } from "./ui";

interface BulkStatusDialogProps {
  /** The dialog is open for this action, or closed. */
  action: BulkAction | null;
  /** The agent list the page holds: the tags offered and the counts shown come from it. */
  agents: AgentObject[];
  busy: boolean;
  error: string | null;
  onConfirm(v: { choice: BulkChoice; reason: string }): void;
  onClose(): void;
}

const TEXT = {
  suspend: {
    title: "Suspend agents",
    intro:
      "The kill switch for many agents at once. Each one's keys are refused at once (403 agent_suspended), its pending requests are cancelled and its unredeemed grants revoked, in one step. You can resume them afterwards; cancelled requests stay cancelled.",
    from: "active",
  },
  resume: {
    title: "Resume agents",
    intro: "The incident is over: each suspended agent's keys work again. Requests cancelled by the suspension stay cancelled.",
    from: "suspended",
  },
} as const;

const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString("en")} ${n === 1 ? one : many}`;

/**
 * Bulk containment: choose "every agent tagged …" or "every agent", see how
 * many agents that changes (and, for a suspend, how many pending requests it
 * cancels), give an optional reason, confirm with one button that says the
 * number. A native <dialog>, like the single confirmation.
 */
export function BulkStatusDialog({ action, ...form }: BulkStatusDialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  // Each opening starts the form afresh (its choice, tag and reason).
  const [opening, setOpening] = useState(0);

  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (action && !d.open) {
      setOpening((n) => n + 1);
      d.showModal();
    } else if (!action && d.open) d.close();
  }, [action]);

  return (
    <dialog
      ref={ref}
      onClose={form.onClose}
      aria-labelledby={titleId}
      data-testid="bulk-status-dialog"
      className="m-auto w-[calc(100%-2rem)] max-w-lg rounded-xl border border-zinc-200 bg-white p-0 text-zinc-900 shadow-xl backdrop:bg-zinc-900/40"
    >
      {action ? <BulkStatusForm key={opening} action={action} titleId={titleId} {...form} /> : null}
    </dialog>
  );
}

function BulkStatusForm({
  action,
  titleId,
  agents,
  busy,
  error,
  onConfirm,
  onClose,
}: Omit<BulkStatusDialogProps, "action"> & { action: BulkAction; titleId: string }) {
  const tags = bulkTags(agents);
  const [scope, setScope] = useState<"tag" | "all">(tags.length ? "tag" : "all");
  const [tag, setTag] = useState(tags[0] ?? "");
  const [reason, setReason] = useState("");

  const text = TEXT[action];
  const choice: BulkChoice = scope === "tag" ? { tag } : { all: true };
  const ready = scope === "all" || tag !== "";
  const preview = ready ? bulkPreview(agents, action, choice) : { changes: 0, skipped: 0, pendingRequests: 0 };
  const verb = action === "resume" ? "Resume" : "Suspend";
  const which =
    scope === "tag" ? (
      <>
        tagged <span className="font-mono text-zinc-900">{tag}</span>
      </>
    ) : (
      "in total"
    );

  return (
    <form
      className="space-y-4 p-5"
      onSubmit={(e) => {
        e.preventDefault();
        if (ready && preview.changes > 0) onConfirm({ choice, reason: reason.trim() });
      }}
    >
      <h2 id={titleId} className="text-base font-semibold">
        {text.title}
      </h2>
      <p className="text-sm text-zinc-600">{text.intro}</p>

      <fieldset className="space-y-2">
        <legend className="mb-1.5 text-sm font-medium text-zinc-800">Which agents</legend>
        <div className="flex flex-wrap items-center gap-2">
          <label className="inline-flex items-center gap-2 text-sm text-zinc-800">
            <input
              type="radio"
              name="bulk-scope"
              value="tag"
              checked={scope === "tag"}
              disabled={tags.length === 0}
              onChange={() => setScope("tag")}
              className="size-4 accent-zinc-900"
            />
            Every agent tagged
          </label>
          <select
            aria-label="Tag"
            value={tag}
            disabled={tags.length === 0}
            onChange={(e) => {
              setTag(e.target.value);
              setScope("tag");
            }}
            className={`${selectClass} max-w-full font-mono`}
          >
            {tags.length === 0 ? <option value="">no tags</option> : null}
            {tags.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </div>
        <label className="flex items-center gap-2 text-sm text-zinc-800">
          <input type="radio" name="bulk-scope" value="all" checked={scope === "all"} onChange={() => setScope("all")} className="size-4 accent-zinc-900" />
          Every agent
        </label>
      </fieldset>

      <div className="rounded-lg border border-zinc-200 bg-zinc-50 px-3 py-2.5 text-sm text-zinc-700" data-testid="bulk-preview" aria-live="polite">
        {preview.changes === 0 ? (
          <p>
            No {text.from} agent {scope === "all" ? "at all" : which}: nothing to {verb.toLowerCase()}.
          </p>
        ) : action === "resume" ? (
          <p>
            <strong className="font-semibold text-zinc-900">{plural(preview.changes, "suspended agent")}</strong> {which} will be resumed.
          </p>
        ) : (
          <p>
            <strong className="font-semibold text-zinc-900">{plural(preview.changes, "active agent")}</strong> {which} will be stopped, holding{" "}
            <strong className="font-semibold text-zinc-900">{plural(preview.pendingRequests, "pending request")}</strong> that will be cancelled.
          </p>
        )}
        {preview.skipped > 0 ? (
          <p className="mt-1 text-zinc-500">
            {plural(preview.skipped, "matching agent")} already {action === "resume" ? "active" : "suspended"}: left as{" "}
            {preview.skipped === 1 ? "it is" : "they are"}.
          </p>
        ) : null}
      </div>

      <ReasonField id="bulk-reason" value={reason} onChange={setReason} optional placeholder="Recorded in each agent's audit event" />
      {error ? <Notice tone="error">{error}</Notice> : null}
      <div className="flex flex-wrap justify-end gap-2">
        <Button onClick={onClose} disabled={busy}>
          Cancel
        </Button>
        <Button type="submit" variant={action === "resume" ? "primary" : "danger"} busy={busy} disabled={!ready || preview.changes === 0}>
          {verb} {plural(preview.changes, "agent")}
        </Button>
      </div>
    </form>
  );
}
