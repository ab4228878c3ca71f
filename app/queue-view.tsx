"use client";

import { useRouter } from "next/navigation";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { DecisionConfirm, type DecisionItemResult } from "@/components/requests/decision-confirm";
import type { Decision } from "@/components/requests/decision-form";
import { RequestList } from "@/components/requests/request-list";
import { ShortcutsHelp } from "@/components/requests/shortcuts-help";
import { EmptyState } from "@/components/ui/empty-state";
import { InboxIcon } from "@/components/ui/icons";
import { ListSkeleton } from "@/components/ui/list-skeleton";
import { LoadError } from "@/components/ui/load-error";
import { PageHeader } from "@/components/ui/page-header";
import { useNow } from "@/components/use-now";
import type { ReviewItem } from "@/lib/schemas/review";
import { useBatchDecision } from "./_review/batch-api";
import { filterQueue, type QueueFilters, queueFiltersQuery } from "./_review/queue-filters";
import { usePendingRequests } from "./_review/review-api";
import { BatchBar, BatchResults, QueueToolbar } from "./queue-toolbar";
import { useShortcuts } from "./_review/use-shortcuts";

interface Confirming {
  decision: Decision;
  items: ReviewItem[];
}

/**
 * The pending queue, kept current by the review stream, with filters kept in
 * the URL, selection and batch decisions, and keyboard triage (j/k/o/x/a/d/e/?).
 */
export function QueueView({ initialFilters }: { initialFilters: QueueFilters }) {
  const router = useRouter();
  const [filters, setFilters] = useState(initialFilters);
  const { items, error, isPending, refetch } = usePendingRequests(filters.sort);
  const now = useNow();
  // Requests decided here leave at once, before the refetch confirms it: a quick next key must not meet them again.
  const [gone, setGone] = useState<ReadonlySet<string>>(new Set());
  const visible = useMemo(() => (items ? filterQueue(items, filters, now).filter((r) => !gone.has(r.id)) : undefined), [items, filters, now, gone]);
  const count = items ? items.length : null;

  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [focusedId, setFocusedId] = useState<string | null>(null);
  const lastIndex = useRef<number | null>(null);
  const [confirming, setConfirming] = useState<Confirming | null>(null);
  const [results, setResults] = useState<{ decision: Decision; items: ReviewItem[]; results: DecisionItemResult[] } | null>(null);
  const [help, setHelp] = useState(false);
  const batch = useBatchDecision();

  useEffect(() => {
    document.title = count ? `(${count}) Queue · Countersign` : "Queue · Countersign";
  }, [count]);

  const changeFilters = useCallback((next: QueueFilters) => {
    setFilters(next);
    setSelected(new Set());
    // The URL carries the filters (share, reload, back); Next keeps its router in step with replaceState.
    window.history.replaceState(null, "", `/${queueFiltersQuery(next)}`);
  }, []);

  const decidable = useMemo(() => (visible ?? []).filter((r) => r.can_decide), [visible]);
  const selectedItems = useMemo(() => decidable.filter((r) => selected.has(r.id)), [decidable, selected]);

  const focusRow = useCallback((id: string | null) => {
    setFocusedId(id);
    if (id) document.querySelector<HTMLElement>(`[data-testid="request-row"][data-request-id="${CSS.escape(id)}"]`)?.focus();
  }, []);

  // A decided request leaves the queue: focus moves to the row that took its place.
  useEffect(() => {
    if (!visible) return;
    const index = focusedId ? visible.findIndex((r) => r.id === focusedId) : -1;
    if (index >= 0) {
      lastIndex.current = index;
      return;
    }
    if (focusedId && lastIndex.current !== null) {
      const next = visible[Math.min(lastIndex.current, visible.length - 1)];
      if (next && !document.querySelector("dialog[open]")) focusRow(next.id);
      else setFocusedId(next?.id ?? null);
    }
  }, [visible, focusedId, focusRow]);

  const toggle = useCallback((id: string) => {
    setSelected((s) => {
      const n = new Set(s);
      if (n.has(id)) n.delete(id);
      else n.add(id);
      return n;
    });
  }, []);

  const move = (delta: number) => {
    if (!visible || visible.length === 0) return;
    const current = focusedRow();
    const index = current ? visible.findIndex((r) => r.id === current.id) : -1;
    const next = index < 0 ? (delta > 0 ? 0 : visible.length - 1) : Math.max(0, Math.min(visible.length - 1, index + delta));
    focusRow(visible[next].id);
  };
  // The row with keyboard focus, when a key is pressed: the DOM's focus wins over state that has not caught up
  // yet (a key pressed right after a decision, before the row that took the decided one's place is marked).
  const focusedRow = (): ReviewItem | null => {
    const active = document.activeElement;
    const domId = active instanceof HTMLElement && active.dataset.testid === "request-row" ? active.dataset.requestId : undefined;
    const exact = visible?.find((r) => r.id === (domId ?? focusedId));
    if (exact) return exact;
    if (!focusedId || !visible || visible.length === 0 || lastIndex.current === null) return null;
    return visible[Math.min(lastIndex.current, visible.length - 1)];
  };

  const openConfirm = (decision: Decision, targets?: ReviewItem[]) => {
    const focused = focusedRow();
    const list = targets ?? (selectedItems.length > 0 ? selectedItems : focused?.can_decide ? [focused] : []);
    if (list.length === 0) return;
    batch.reset();
    setConfirming({ decision, items: list });
  };

  const open = (suffix = "") => {
    const focused = focusedRow();
    if (focused) router.push(`/requests/${encodeURIComponent(focused.id)}${suffix}`);
  };

  useShortcuts({
    j: () => move(1),
    k: () => move(-1),
    o: () => open(),
    enter: (e) => {
      // A focused row link opens itself; Enter on the page with a row marked opens that row.
      if (e.target instanceof HTMLElement && e.target !== document.body) return false;
      open();
    },
    x: () => {
      const focused = focusedRow();
      if (focused?.can_decide) toggle(focused.id);
    },
    a: () => openConfirm("approve"),
    d: () => openConfirm("deny"),
    e: () => open("?edit=1"),
    "?": () => setHelp(true),
  });

  const confirm = (reason: string) => {
    if (!confirming) return;
    const { decision, items: targets } = confirming;
    batch.mutate(
      { ids: targets.map((r) => r.id), decision, reason },
      {
        onSuccess: (answered) => {
          setGone((g) => new Set([...g, ...answered.filter((r) => r.status === 200 && r.request?.status !== "pending").map((r) => r.id)]));
          setSelected((s) => new Set([...s].filter((id) => !answered.some((r) => r.id === id && r.status === 200))));
          setResults({ decision, items: targets, results: answered });
          // All decided as asked: back to the queue at once (the results stay above it); otherwise the dialog shows what was refused.
          if (answered.every((r) => r.status === 200)) setConfirming(null);
        },
      },
    );
  };

  return (
    <>
      <PageHeader
        title="Queue"
        description={
          count === null || count === 0
            ? "Requests from agents waiting for a decision."
            : count === 1
              ? "1 request waiting for a decision."
              : `${count} requests waiting for a decision.`
        }
      >
        <button
          type="button"
          onClick={() => setHelp(true)}
          className="hidden items-center gap-1.5 rounded-md px-2 py-1 text-sm text-zinc-500 hover:text-zinc-900 md:inline-flex"
          data-testid="shortcuts-button"
        >
          <kbd className="rounded border border-zinc-300 bg-white px-1.5 font-mono text-xs">?</kbd>
          Shortcuts
        </button>
      </PageHeader>
      {items && items.length > 0 ? (
        <QueueToolbar
          items={items}
          filters={filters}
          onChange={changeFilters}
          shown={visible?.length ?? 0}
          decidable={decidable}
          selectedCount={selectedItems.length}
          onSelectAll={(all) => setSelected(all ? new Set(decidable.map((r) => r.id)) : new Set())}
        />
      ) : null}
      {results && !confirming ? <BatchResults {...results} onDismiss={() => setResults(null)} /> : null}
      {error && !items ? (
        <LoadError what="the queue" message={error.message} onRetry={() => void refetch()} />
      ) : isPending ? (
        <ListSkeleton />
      ) : !items || items.length === 0 ? (
        <div className="rounded-xl border border-dashed border-zinc-300 bg-white">
          <EmptyState icon={<InboxIcon className="size-5" />} title="No pending requests">
            New requests from agents appear here as they arrive; no need to reload.
          </EmptyState>
        </div>
      ) : !visible || visible.length === 0 ? (
        <div className="rounded-xl border border-dashed border-zinc-300 bg-white">
          <EmptyState icon={<InboxIcon className="size-5" />} title="No request matches these filters">
            {items.length} pending in all.{" "}
            <button
              type="button"
              className="underline underline-offset-2"
              onClick={() => changeFilters({ sort: filters.sort, agent: null, action: null, decidable: false, expiring: false })}
            >
              Clear the filters
            </button>
          </EmptyState>
        </div>
      ) : (
        <RequestList items={visible} mode="queue" selection={{ selected, focusedId, onToggle: toggle, onFocusRow: setFocusedId }} />
      )}
      {selectedItems.length > 0 ? (
        <BatchBar
          count={selectedItems.length}
          onApprove={() => openConfirm("approve")}
          onDeny={() => openConfirm("deny")}
          onClear={() => setSelected(new Set())}
        />
      ) : null}
      {confirming ? (
        <DecisionConfirm
          key={confirming.items.map((r) => r.id).join()}
          decision={confirming.decision}
          items={confirming.items}
          submitting={batch.isPending}
          results={batch.data ?? null}
          error={batch.error?.message ?? null}
          onConfirm={confirm}
          onClose={() => setConfirming(null)}
        />
      ) : null}
      {help ? <ShortcutsHelp page="queue" onClose={() => setHelp(false)} /> : null}
    </>
  );
}
