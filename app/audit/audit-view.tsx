"use client";

import Link from "next/link";
import { usePathname, useRouter } from "next/navigation";
import { useEffect, useRef, useState } from "react";
import type { z } from "zod";
import { Button, inputClass, selectClass } from "@/components/admin/ui";
import { formatDateTime, formatShortDateTime } from "@/components/format";
import { VisibleText } from "@/components/requests/visible-text";
import { Card, Field, Fields } from "@/components/ui/card";
import { EmptyState } from "@/components/ui/empty-state";
import { CheckIcon, InboxIcon, SpinnerIcon } from "@/components/ui/icons";
import { ListSkeleton } from "@/components/ui/list-skeleton";
import { LoadError } from "@/components/ui/load-error";
import { Notice } from "@/components/ui/notice";
import { PageHeader } from "@/components/ui/page-header";
import { useSettled } from "@/components/use-settled";
import type { AuditCheckpointObject, AuditExportQuery, ChainVerificationObject } from "@/lib/schemas/audit";
import { RetentionCard } from "./retention-card";
import { filterQuery, saveBlob, streamExport, useAuditEvent, useAuditEvents, useCheckpoints, useCreateCheckpoint, verifyWithProgress } from "./audit-api";

/** The filters as the form holds them (datetime-local values for the time bounds): the export query's fields but `format`. */
export type AuditFilters = Record<Exclude<keyof z.input<typeof AuditExportQuery>, "format">, string>;

const ACTORS = [
  ["", "Any actor"],
  ["agent", "Agents"],
  ["user", "People"],
  ["policy", "Policy rules"],
  ["system", "System"],
  ["executor", "Executors"],
  ["admin_token", "Admin tokens"],
] as const;

const short = (hash: string) => `${hash.slice(0, 12)}…`;
const bytesText = (n: number) => (n < 1024 ? `${n} B` : n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1024 / 1024).toFixed(1)} MiB`);

/** The audit console: filter events, open one, verify the chain, export, checkpoints. Filters live in the URL. */
export function AuditView({ initial, canCheckpoint }: { initial: AuditFilters; canCheckpoint: boolean }) {
  const router = useRouter();
  const pathname = usePathname();
  const [filters, setFilters] = useState(initial);
  const settled = useSettled(filters, 300);
  const query = filterQuery({ ...settled }).toString();
  const [selected, setSelected] = useState<number | null>(null);
  const [verification, setVerification] = useState<VerifyState>(null);
  const detailRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const q = new URLSearchParams(Object.entries(settled).filter(([, v]) => v.trim()));
    router.replace(q.size ? `${pathname}?${q}` : pathname, { scroll: false });
  }, [settled, pathname, router]);

  const set = (k: keyof AuditFilters) => (e: React.ChangeEvent<HTMLInputElement | HTMLSelectElement>) => setFilters((f) => ({ ...f, [k]: e.target.value }));
  const filtered = Object.values(settled).some((v) => v.trim());
  const open = (seq: number) => {
    setSelected(seq);
    // On a phone the detail sits below the list: bring it into view.
    requestAnimationFrame(() => {
      if (window.matchMedia("(max-width: 1023px)").matches) detailRef.current?.scrollIntoView({ behavior: "smooth", block: "start" });
    });
  };

  return (
    <>
      <PageHeader title="Audit log" description="Every state change, hash-chained: each event's hash covers the one before it.">
        <div className="flex flex-wrap items-center gap-2">
          <VerifyButton running={verification?.state === "running"} onChange={setVerification} />
          <ExportButtons query={query} />
        </div>
      </PageHeader>

      <VerifyResult state={verification} />

      <Card className="mb-6">
        <form className="grid grid-cols-2 gap-3 lg:grid-cols-7" onSubmit={(e) => e.preventDefault()} aria-label="Filters">
          <FilterField label="From" id="f-since" wide>
            <input id="f-since" type="datetime-local" step="1" value={filters.since} onChange={set("since")} className={inputClass} />
          </FilterField>
          <FilterField label="Until (exclusive)" id="f-until" wide>
            <input id="f-until" type="datetime-local" step="1" value={filters.until} onChange={set("until")} className={inputClass} />
          </FilterField>
          <FilterField label="Person or agent" id="f-who">
            <input id="f-who" type="search" value={filters.who} onChange={set("who")} placeholder="Name or email" className={inputClass} />
          </FilterField>
          <FilterField label="Actor" id="f-actor">
            <select
              id="f-actor"
              value={ACTORS.some(([v]) => v === filters.actor) ? filters.actor : ""}
              onChange={set("actor")}
              className={`${selectClass} w-full`}
            >
              {ACTORS.map(([v, label]) => (
                <option key={v} value={v}>
                  {label}
                </option>
              ))}
            </select>
          </FilterField>
          <FilterField label="Event type" id="f-type">
            <input id="f-type" value={filters.type} onChange={set("type")} placeholder="request.* or grant.redeemed" className={inputClass} />
          </FilterField>
          <FilterField label="Request" id="f-request">
            <input id="f-request" value={filters.request} onChange={set("request")} placeholder="req_…" className={`${inputClass} font-mono`} />
          </FilterField>
          <FilterField label="Agent" id="f-agent">
            <input id="f-agent" value={filters.agent} onChange={set("agent")} placeholder="agt_…" className={`${inputClass} font-mono`} />
          </FilterField>
        </form>
        {filtered ? (
          <div className="mt-3 flex justify-end">
            <Button onClick={() => setFilters({ since: "", until: "", actor: "", type: "", request: "", agent: "", who: "" })}>Clear filters</Button>
          </div>
        ) : null}
      </Card>

      <div className="grid grid-cols-1 gap-6 lg:grid-cols-[minmax(0,3fr)_minmax(0,2fr)]">
        <EventList query={query} filtered={filtered} selected={selected} onOpen={open} />
        <div ref={detailRef} className="scroll-mt-4">
          <div className="lg:sticky lg:top-4">
            <EventDetail seq={selected} query={query} />
          </div>
        </div>
      </div>

      <Checkpoints canCreate={canCheckpoint} />
      <RetentionCard canEdit={canCheckpoint} />
    </>
  );
}

/** `wide`: a whole row on a phone (date and time pickers need the room). */
function FilterField({ label, id, wide = false, children }: { label: string; id: string; wide?: boolean; children: React.ReactNode }) {
  return (
    <div className={`min-w-0 ${wide ? "col-span-2 sm:col-span-1" : ""}`}>
      <label htmlFor={id} className="mb-1 block text-xs font-medium text-zinc-600">
        {label}
      </label>
      {children}
    </div>
  );
}

function EventList({ query, filtered, selected, onOpen }: { query: string; filtered: boolean; selected: number | null; onOpen(seq: number): void }) {
  const { data, error, isPending, refetch, fetchNextPage, hasNextPage, isFetchingNextPage } = useAuditEvents(query);
  const events = data?.pages.flatMap((p) => p.data) ?? [];
  const names = actorNamesOf(data?.pages);
  if (error && !data) return <LoadError what="the audit log" message={error.message} onRetry={() => void refetch()} />;
  if (isPending) return <ListSkeleton rows={8} />;
  if (events.length === 0) {
    return (
      <div className="rounded-xl border border-dashed border-zinc-300 bg-white">
        <EmptyState icon={<InboxIcon className="size-5" />} title="No events">
          {filtered ? "Nothing matches these filters." : "Events appear here as the gateway records them."}
        </EmptyState>
      </div>
    );
  }
  return (
    <div>
      <ol
        className="divide-y divide-zinc-100 overflow-hidden rounded-xl border border-zinc-200 bg-white shadow-xs"
        aria-label="Events"
        data-testid="audit-events"
      >
        {events.map((e) => (
          <li key={e.seq}>
            <button
              type="button"
              onClick={() => onOpen(e.seq)}
              aria-current={selected === e.seq ? "true" : undefined}
              data-testid="audit-event"
              className={`grid w-full grid-cols-[auto_minmax(0,1fr)] items-baseline gap-x-3 gap-y-0.5 px-4 py-2.5 text-left text-sm transition-colors sm:grid-cols-[auto_minmax(0,1fr)_auto] ${
                selected === e.seq ? "bg-zinc-100" : "hover:bg-zinc-50"
              }`}
            >
              <span className="row-span-2 min-w-12 font-mono text-xs tabular-nums text-zinc-500 sm:row-span-1">#{e.seq}</span>
              <span className="truncate font-medium text-zinc-900">{e.type}</span>
              <span className="hidden text-right text-xs tabular-nums text-zinc-500 sm:block">{formatShortDateTime(e.occurred_at)}</span>
              <span className="col-start-2 truncate text-xs text-zinc-500 sm:col-end-4" title={e.actor} data-testid="audit-actor">
                {names[e.actor] ?? <span className="font-mono">{e.actor}</span>}
                {e.request_id ? <span className="font-mono"> · {e.request_id}</span> : null}
              </span>
            </button>
          </li>
        ))}
      </ol>
      {hasNextPage ? (
        <div className="mt-4 flex justify-center">
          <Button onClick={() => void fetchNextPage()} busy={isFetchingNextPage}>
            Older events
          </Button>
        </div>
      ) : null}
    </div>
  );
}

/** The actors' names the list pages carry (`user:usr_…` → "Ana (ana@…)"). */
function actorNamesOf(pages: { actors?: Record<string, string> }[] | undefined): Record<string, string> {
  return Object.assign({}, ...(pages ?? []).map((p) => p.actors ?? {}));
}

function EventDetail({ seq, query }: { seq: number | null; query: string }) {
  const { data: e, error, isFetching } = useAuditEvent(seq);
  // The list's cache (same key): the names of the actors it shows.
  const names = actorNamesOf(useAuditEvents(query).data?.pages);
  if (seq === null) {
    return (
      <Card title="Event">
        <p className="text-sm text-zinc-500">Open an event to see its data and its place in the chain.</p>
      </Card>
    );
  }
  if (error)
    return (
      <Notice tone="error">
        Could not load event {seq}: {error.message}
      </Notice>
    );
  if (!e) {
    return (
      <Card title={`Event #${seq}`}>
        <SpinnerIcon /> {isFetching ? <span className="sr-only">Loading</span> : null}
      </Card>
    );
  }
  return (
    <Card title={<span data-testid="audit-event-title">Event #{e.seq}</span>} aside={<span className="font-mono text-xs text-zinc-500">{e.type}</span>}>
      <Fields>
        <Field label="When">{formatDateTime(e.occurred_at)}</Field>
        <Field label="Actor">
          {names[e.actor] ? <span className="block">{names[e.actor]}</span> : null}
          <span className="font-mono text-xs text-zinc-500">{e.actor}</span>
        </Field>
        <Field label="Request">
          {e.request_id ? (
            <Link
              href={`/requests/${encodeURIComponent(e.request_id)}`}
              className="font-mono text-xs underline decoration-zinc-300 underline-offset-2 hover:decoration-zinc-900"
            >
              {e.request_id}
            </Link>
          ) : (
            "—"
          )}
        </Field>
        <Field label="Agent">{e.agent_id ? <span className="font-mono text-xs">{e.agent_id}</span> : "—"}</Field>
        <Field label="Sequence">
          <span className="font-mono text-xs" data-testid="audit-event-seq">
            {e.seq}
          </span>
        </Field>
        <Field label="Previous hash">
          <code className="block break-all font-mono text-xs text-zinc-600">{e.prev_hash}</code>
        </Field>
        <Field label="Hash">
          <code className="block break-all font-mono text-xs text-zinc-900" data-testid="audit-event-hash">
            {e.hash}
          </code>
        </Field>
      </Fields>
      <h3 className="mb-1.5 mt-4 text-xs font-medium uppercase tracking-wide text-zinc-500">Data</h3>
      <pre
        className="max-h-96 overflow-auto whitespace-pre-wrap rounded-lg bg-zinc-50 p-3 font-mono text-xs leading-relaxed text-zinc-800 [overflow-wrap:anywhere]"
        data-testid="audit-event-data"
      >
        <VisibleText text={JSON.stringify(e.data, null, 2)} />
      </pre>
    </Card>
  );
}

type VerifyState =
  | { state: "running"; verified: number; headSeq: number | null }
  | { state: "done"; result: ChainVerificationObject }
  | { state: "error"; message: string }
  | null;

function VerifyButton({ running, onChange }: { running: boolean; onChange(state: VerifyState): void }) {
  const run = async () => {
    onChange({ state: "running", verified: 0, headSeq: null });
    try {
      const result = await verifyWithProgress((p) => onChange({ state: "running", verified: p.verified, headSeq: p.head_seq }));
      onChange({ state: "done", result });
    } catch (err) {
      onChange({ state: "error", message: (err as Error).message });
    }
  };
  return (
    <Button variant="primary" busy={running} onClick={() => void run()}>
      {running ? "Verifying…" : "Verify chain"}
    </Button>
  );
}

function VerifyResult({ state }: { state: VerifyState }) {
  if (!state) return null;
  return (
    <div className="mb-6" data-testid="verify-result">
      {state.state === "running" ? (
        <div role="status" className="rounded-lg border border-zinc-200 bg-white px-3 py-2.5 text-sm text-zinc-700">
          <div className="flex items-center gap-2">
            <SpinnerIcon /> Recomputing every event&apos;s hash from the first one…
            {state.headSeq ? (
              <span className="tabular-nums text-zinc-500">{`${state.verified.toLocaleString("en")} of ${state.headSeq.toLocaleString("en")} events`}</span>
            ) : null}
          </div>
          {state.headSeq ? (
            <div className="mt-2 h-1.5 overflow-hidden rounded-full bg-zinc-100" aria-hidden="true">
              <div
                className="h-full bg-zinc-900 transition-[width]"
                style={{ width: `${Math.min(100, (100 * state.verified) / Math.max(1, state.headSeq))}%` }}
              />
            </div>
          ) : null}
        </div>
      ) : state.state === "error" ? (
        <Notice tone="error">Verification could not run: {state.message}</Notice>
      ) : state.result.ok ? (
        <div role="status" className="flex items-start gap-2 rounded-lg border border-emerald-200 bg-emerald-50 px-3 py-2.5 text-sm text-emerald-900">
          <CheckIcon className="mt-0.5 shrink-0" />
          <div>
            <strong>Intact up to event {state.result.head_seq}.</strong>{" "}
            {state.result.from_seq && state.result.from_seq > 1
              ? `From event ${state.result.from_seq} (earlier ones removed by the retention policy, as recorded in the chain). `
              : ""}
            {state.result.events.toLocaleString("en")} events recomputed, head <code className="font-mono text-xs">{short(state.result.head_hash ?? "")}</code>;{" "}
            {state.result.checkpoints} signed checkpoint
            {state.result.checkpoints === 1 ? "" : "s"} matched.
          </div>
        </div>
      ) : (
        <Notice tone="error">
          <strong>
            Broken at event {state.result.broken_at} ({state.result.kind?.replace("_", " ")}).
          </strong>{" "}
          {state.result.reason}. {state.result.events.toLocaleString("en")} events verified before it.
        </Notice>
      )}
    </div>
  );
}

function ExportButtons({ query }: { query: string }) {
  const [progress, setProgress] = useState<{ format: string; bytes: number; rows: number } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const abort = useRef<AbortController | null>(null);
  const run = async (format: "jsonl" | "csv") => {
    abort.current = new AbortController();
    setError(null);
    setProgress({ format, bytes: 0, rows: 0 });
    try {
      await streamExport(query, format, (p) => setProgress({ format, ...p }), abort.current.signal);
      setProgress(null);
    } catch (err) {
      setProgress(null);
      if ((err as Error).name !== "AbortError") setError((err as Error).message);
    }
  };
  return (
    <div className="flex flex-wrap items-center gap-2">
      {progress ? (
        <span role="status" className="inline-flex items-center gap-2 text-sm tabular-nums text-zinc-600" data-testid="export-progress">
          <SpinnerIcon /> {progress.rows.toLocaleString("en")} events · {bytesText(progress.bytes)}
          <Button onClick={() => abort.current?.abort()}>Cancel</Button>
        </span>
      ) : (
        <>
          <Button onClick={() => void run("jsonl")}>Export JSON lines</Button>
          <Button onClick={() => void run("csv")}>Export CSV</Button>
        </>
      )}
      {error ? <span className="text-sm text-red-700">{error}</span> : null}
    </div>
  );
}

function Checkpoints({ canCreate }: { canCreate: boolean }) {
  const { data, error, refetch } = useCheckpoints();
  const create = useCreateCheckpoint();
  const list = data?.data ?? [];
  const download = (items: AuditCheckpointObject[], name: string) =>
    saveBlob(
      new Blob(
        items.map((c) => `${JSON.stringify(c)}\n`),
        { type: "application/x-ndjson" },
      ),
      name,
    );
  return (
    <Card
      className="mt-8"
      title="Signed checkpoints"
      aside={
        <div className="flex gap-2">
          {list.length ? <Button onClick={() => download(list, "countersign-checkpoints.jsonl")}>Download all</Button> : null}
          {canCreate ? (
            <Button variant="primary" busy={create.isPending} onClick={() => create.mutate()}>
              Checkpoint now
            </Button>
          ) : null}
        </div>
      }
    >
      <p className="mb-3 text-sm text-zinc-500">
        Each checkpoint signs the chain&apos;s head with the grant signing key (verifiable with{" "}
        <code className="font-mono text-xs">/.well-known/jwks.json</code>). Keep copies elsewhere: a chain cut short after a checkpoint no longer verifies.
      </p>
      {create.error ? <Notice tone="error">{create.error.message}</Notice> : null}
      {error && !data ? (
        <LoadError what="the checkpoints" message={error.message} onRetry={() => void refetch()} />
      ) : list.length === 0 ? (
        <p className="text-sm text-zinc-500">No checkpoints yet.</p>
      ) : (
        <ul className="divide-y divide-zinc-100 text-sm" data-testid="checkpoints">
          {list.map((c) => (
            <li key={c.seq} className="flex flex-wrap items-center justify-between gap-2 py-2">
              <span className="min-w-0">
                <span className="font-medium">Event {c.seq}</span> <span className="text-zinc-500">· {formatDateTime(c.created_at)}</span>
                <span className="block truncate font-mono text-xs text-zinc-500">
                  {short(c.head_hash)} · key {c.kid}
                </span>
              </span>
              <Button onClick={() => download([c], `countersign-checkpoint-${c.seq}.jsonl`)}>Download</Button>
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}
