"use client";

import { useState } from "react";
import { Notice } from "../../ui/notice";
import { Button, FormField, inputClass } from "../ui";
import { formatSeconds } from "./durations";
import type { PolicyDefaults } from "@/lib/policy/policy-document";

export function defaultSentence(d: PolicyDefaults): string {
  return `No rule matched → require approval by any reviewer, ${d.approvals_required} approval${d.approvals_required === 1 ? "" : "s"}, ${formatSeconds(d.wait_seconds)} wait, ${formatSeconds(d.grant_ttl_seconds)} grant`;
}

/** The fail-closed default, always last; admins may change its numbers but not its effect. */
export function DefaultRule({
  defaults,
  canEdit,
  busy,
  error,
  onSave,
}: {
  defaults: PolicyDefaults;
  canEdit: boolean;
  busy: boolean;
  error: string | null;
  onSave(d: PolicyDefaults, done: () => void): void;
}) {
  const [editing, setEditing] = useState(false);
  const [approvals, setApprovals] = useState(String(defaults.approvals_required));
  const [wait, setWait] = useState(String(defaults.wait_seconds));
  const [ttl, setTtl] = useState(String(defaults.grant_ttl_seconds));

  return (
    <div className="border-t border-dashed border-zinc-200 bg-zinc-50/70 px-4 py-3.5 sm:px-5" data-testid="default-rule">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <div className="min-w-0">
          <p className="text-xs font-medium uppercase tracking-wide text-zinc-500">Default (fail closed)</p>
          <p className="mt-0.5 text-sm text-zinc-800" data-testid="default-sentence">
            {defaultSentence(defaults)}
          </p>
        </div>
        {canEdit && !editing ? (
          <Button
            onClick={() => {
              setApprovals(String(defaults.approvals_required));
              setWait(String(defaults.wait_seconds));
              setTtl(String(defaults.grant_ttl_seconds));
              setEditing(true);
            }}
          >
            Edit default
          </Button>
        ) : null}
      </div>
      {editing ? (
        <form
          className="mt-4 space-y-4"
          onSubmit={(e) => {
            e.preventDefault();
            onSave({ effect: "require_approval", approvals_required: Number(approvals), wait_seconds: Number(wait), grant_ttl_seconds: Number(ttl) }, () =>
              setEditing(false),
            );
          }}
        >
          <div className="grid gap-4 sm:grid-cols-3">
            <FormField label="Approvals required" htmlFor="default-approvals">
              <input
                id="default-approvals"
                type="number"
                min={1}
                max={10}
                required
                value={approvals}
                onChange={(e) => setApprovals(e.target.value)}
                className={inputClass}
              />
            </FormField>
            <FormField label="Wait (seconds)" htmlFor="default-wait" hint={Number(wait) > 0 ? formatSeconds(Number(wait)) : undefined}>
              <input id="default-wait" type="number" min={1} required value={wait} onChange={(e) => setWait(e.target.value)} className={inputClass} />
            </FormField>
            <FormField label="Grant lifetime (seconds)" htmlFor="default-ttl" hint={Number(ttl) > 0 ? formatSeconds(Number(ttl)) : undefined}>
              <input id="default-ttl" type="number" min={1} required value={ttl} onChange={(e) => setTtl(e.target.value)} className={inputClass} />
            </FormField>
          </div>
          {error ? <Notice tone="error">{error}</Notice> : null}
          <div className="flex justify-end gap-2">
            <Button onClick={() => setEditing(false)} disabled={busy}>
              Cancel
            </Button>
            <Button type="submit" variant="primary" busy={busy}>
              Save default
            </Button>
          </div>
        </form>
      ) : null}
    </div>
  );
}
