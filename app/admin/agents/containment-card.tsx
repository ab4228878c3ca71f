"use client";

import { useState } from "react";
import { Button } from "@/components/admin/ui";
import { Card } from "@/components/ui/card";
import { ListSkeleton } from "@/components/ui/list-skeleton";
import { LoadError } from "@/components/ui/load-error";
import { Notice } from "@/components/ui/notice";
import type { ContainmentSettings } from "@/lib/containment/rules";
import type { ContainmentView } from "@/lib/containment/view";
import { useContainment, useSaveContainment } from "./containment-api";

const numberClass =
  "inline-block h-8 w-20 rounded-md border border-zinc-300 bg-white px-2 text-sm tabular-nums text-zinc-900 shadow-xs focus:border-zinc-900 focus:outline-none focus:ring-2 focus:ring-zinc-900/10 disabled:cursor-not-allowed disabled:bg-zinc-50 disabled:text-zinc-500";
const textClass =
  "block w-full rounded-md border border-zinc-300 bg-white px-2.5 py-1.5 text-sm text-zinc-900 shadow-xs placeholder:text-zinc-400 focus:border-zinc-900 focus:outline-none focus:ring-2 focus:ring-zinc-900/10 disabled:cursor-not-allowed disabled:bg-zinc-50 disabled:text-zinc-500";

/**
 * Automatic containment: the rules that suspend an agent by themselves when
 * its request rate or denial rate crosses a threshold. Read-only for auditors.
 */
export function ContainmentCard({ canEdit }: { canEdit: boolean }) {
  const { data, error, refetch } = useContainment();
  // Here, not in the form: a save remounts the form (see below) and must still show "Saved".
  const save = useSaveContainment();
  return (
    <Card
      title="Automatic containment"
      aside={
        data ? (
          <span
            data-testid="containment-status"
            className={`rounded-full px-2 py-0.5 text-xs font-medium ${data.enabled ? "bg-amber-50 text-amber-800 ring-1 ring-amber-200" : "bg-zinc-100 text-zinc-600"}`}
          >
            {data.enabled ? "On" : "Off"}
          </span>
        ) : null
      }
    >
      {error && !data ? (
        <LoadError what="the containment rules" message={error.message} onRetry={() => void refetch()} />
      ) : !data ? (
        <ListSkeleton rows={2} />
      ) : (
        // Keyed by the save time, so a save (here or elsewhere) starts the form from what is stored.
        <ContainmentForm key={data.updated_at ?? "never"} saved={data} canEdit={canEdit} save={save} />
      )}
    </Card>
  );
}

/** A number and the words around it, kept on one line when the sentence wraps. */
function Words({ children }: { children: React.ReactNode }) {
  return <span className="inline-flex items-center gap-1.5 whitespace-nowrap">{children}</span>;
}

const list = (s: string) =>
  s
    .split(/[\s,]+/)
    .map((x) => x.trim())
    .filter(Boolean);

function ContainmentForm({ saved, canEdit, save }: { saved: ContainmentView; canEdit: boolean; save: ReturnType<typeof useSaveContainment> }) {
  const [rate, setRate] = useState({
    on: saved.request_rate !== null,
    max: saved.request_rate?.max_requests ?? 100,
    window: saved.request_rate?.window_seconds ?? 60,
  });
  const [denial, setDenial] = useState({
    on: saved.denial_rate !== null,
    percent: Math.round((saved.denial_rate?.max_ratio ?? 0.5) * 100),
    min: saved.denial_rate?.min_decisions ?? 10,
    window: saved.denial_rate?.window_seconds ?? 3600,
  });
  const [scoped, setScoped] = useState(saved.agents !== null);
  const [names, setNames] = useState(saved.agents?.names.join(", ") ?? "");
  const [tags, setTags] = useState(saved.agents?.tags.join(", ") ?? "");
  const [incomplete, setIncomplete] = useState(false);
  // Any edit clears the last save's outcome ("Saved" or its error).
  const edited = () => {
    setIncomplete(false);
    if (!save.isIdle) save.reset();
  };
  const disabled = !canEdit || save.isPending;

  const body = (): ContainmentSettings => ({
    request_rate: rate.on ? { max_requests: rate.max, window_seconds: rate.window } : null,
    denial_rate: denial.on ? { max_ratio: denial.percent / 100, min_decisions: denial.min, window_seconds: denial.window } : null,
    agents: scoped ? { names: list(names), tags: list(tags) } : null,
  });

  const num = (id: string, value: number, onChange: (n: number) => void, label: string, max?: number) => (
    <input
      id={id}
      type="number"
      inputMode="numeric"
      min={0}
      max={max}
      aria-label={label}
      className={numberClass}
      value={Number.isFinite(value) ? value : ""}
      disabled={disabled}
      onChange={(e) => {
        edited();
        onChange(e.target.valueAsNumber);
      }}
    />
  );

  return (
    <form
      data-testid="containment-form"
      onSubmit={(e) => {
        e.preventDefault();
        const numbers = [...(rate.on ? [rate.max, rate.window] : []), ...(denial.on ? [denial.percent, denial.min, denial.window] : [])];
        if (numbers.some((n) => !Number.isFinite(n))) return setIncomplete(true);
        save.mutate(body());
      }}
      className="space-y-5"
    >
      <p className="text-sm text-zinc-500">
        Suspends an agent by itself, as the kill switch would: its keys are refused, pending requests cancelled and grants revoked. The suspension is in the
        audit log with the reason, and the agent&apos;s owner is notified. Resume the agent to let it back in; its windows then start afresh.
      </p>

      <RuleFieldset
        id="containment-rate"
        label="Request rate"
        on={rate.on}
        disabled={disabled}
        onToggle={(on) => {
          edited();
          setRate({ ...rate, on });
        }}
      >
        <span>Suspend an agent that creates more than</span>
        <Words>{num("containment-max-requests", rate.max, (n) => setRate({ ...rate, max: n }), "Most requests")} requests within</Words>
        <Words>{num("containment-rate-window", rate.window, (n) => setRate({ ...rate, window: n }), "Request window in seconds")} seconds.</Words>
      </RuleFieldset>

      <RuleFieldset
        id="containment-denial"
        label="Denial rate"
        on={denial.on}
        disabled={disabled}
        onToggle={(on) => {
          edited();
          setDenial({ ...denial, on });
        }}
        after={
          <p className="pl-6 text-xs text-zinc-500">Counts decisions by people and by policy; checked each time one of the agent&apos;s requests is denied.</p>
        }
      >
        <span>Suspend an agent when more than</span>
        <Words>
          {num("containment-max-ratio", denial.percent, (n) => setDenial({ ...denial, percent: n }), "Highest share denied, in percent", 99)} % of its decisions
        </Words>
        <Words>
          within {num("containment-denial-window", denial.window, (n) => setDenial({ ...denial, window: n }), "Denial window in seconds")} seconds are denials,
        </Words>
        <span>once it has at least</span>
        <Words>{num("containment-min-decisions", denial.min, (n) => setDenial({ ...denial, min: n }), "Fewest decisions")} decisions there.</Words>
      </RuleFieldset>

      <fieldset className="space-y-2">
        <legend className="text-sm font-medium text-zinc-900">Applies to</legend>
        <div className="flex flex-wrap gap-4 text-sm text-zinc-700">
          <label className="flex items-center gap-2">
            <input
              type="radio"
              name="containment-scope"
              className="size-4 accent-zinc-900"
              checked={!scoped}
              disabled={disabled}
              onChange={() => {
                edited();
                setScoped(false);
              }}
            />
            Every agent
          </label>
          <label className="flex items-center gap-2">
            <input
              type="radio"
              name="containment-scope"
              className="size-4 accent-zinc-900"
              checked={scoped}
              disabled={disabled}
              onChange={() => {
                edited();
                setScoped(true);
              }}
            />
            Agents with one of these names or tags
          </label>
        </div>
        {scoped ? (
          <div className="grid gap-3 sm:grid-cols-2">
            <div>
              <label htmlFor="containment-names" className="mb-1 block text-xs font-medium text-zinc-600">
                Names
              </label>
              <input
                id="containment-names"
                className={textClass}
                placeholder="billing-agent, support-bot"
                value={names}
                disabled={disabled}
                onChange={(e) => {
                  edited();
                  setNames(e.target.value);
                }}
              />
            </div>
            <div>
              <label htmlFor="containment-tags" className="mb-1 block text-xs font-medium text-zinc-600">
                Tags
              </label>
              <input
                id="containment-tags"
                className={textClass}
                placeholder="experimental"
                value={tags}
                disabled={disabled}
                onChange={(e) => {
                  edited();
                  setTags(e.target.value);
                }}
              />
            </div>
          </div>
        ) : null}
      </fieldset>

      {incomplete ? <Notice tone="error">Fill in every number of the rules that are on.</Notice> : null}
      {save.error ? <Notice tone="error">{save.error.message}</Notice> : null}
      <div className="flex flex-wrap items-center justify-between gap-3 border-t border-zinc-100 pt-4">
        <p className="text-xs text-zinc-500" data-testid="containment-saved">
          {save.isSuccess ? "Saved. " : ""}
          {saved.updated_at ? `Last changed ${new Date(saved.updated_at).toLocaleString()}.` : "Off until an admin turns a rule on."}
        </p>
        {canEdit ? (
          <Button type="submit" variant="primary" busy={save.isPending}>
            Save rules
          </Button>
        ) : null}
      </div>
    </form>
  );
}

/** One rule: a checkbox that turns it on, and its sentence with the numbers to fill in (greyed while off). */
function RuleFieldset(p: {
  id: string;
  label: string;
  on: boolean;
  disabled: boolean;
  onToggle(on: boolean): void;
  after?: React.ReactNode;
  children: React.ReactNode;
}) {
  return (
    <fieldset className="space-y-2">
      <label htmlFor={p.id} className="flex items-center gap-2 text-sm font-medium text-zinc-900">
        <input
          id={p.id}
          type="checkbox"
          className="size-4 accent-zinc-900"
          checked={p.on}
          disabled={p.disabled}
          onChange={(e) => p.onToggle(e.target.checked)}
        />
        {p.label}
      </label>
      <p className={`flex flex-wrap items-center gap-x-1.5 gap-y-2 pl-6 text-sm ${p.on ? "text-zinc-700" : "text-zinc-400"}`}>{p.children}</p>
      {p.after}
    </fieldset>
  );
}
