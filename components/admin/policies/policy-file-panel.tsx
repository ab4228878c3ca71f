"use client";

import { useState } from "react";
import { Button } from "@/components/admin/ui";
import { Card } from "@/components/ui/card";
import { Notice } from "@/components/ui/notice";
import type { ImportResult } from "@/lib/schemas/policy";

const list = (names: string[]) => (names.length ? names.join(", ") : "none");

/**
 * Policy as code from the console: download the whole rule set as YAML, or
 * paste a document, see what it would change (dry run), then apply it.
 */
export function PolicyFilePanel({
  canEdit,
  busy,
  error,
  report,
  onExport,
  onImport,
  onEdit,
}: {
  canEdit: boolean;
  busy: boolean;
  error: string | null;
  report: ImportResult | null;
  onExport(): void;
  onImport(text: string, dryRun: boolean): void;
  /** The document was edited: an earlier dry run no longer speaks for it. */
  onEdit(): void;
}) {
  const [text, setText] = useState("");
  const checked = report?.dry_run === true;
  return (
    <Card title="Policy file" aside={<Button onClick={onExport}>Export YAML</Button>}>
      <p className="mb-3 text-sm text-zinc-500">
        Keep the policy in git and apply it from CI with <code className="font-mono text-xs">countersign policies import</code> or the admin API. Importing
        replaces every rule, all or nothing: rules missing from the file are removed.
      </p>
      {canEdit ? (
        <>
          <label htmlFor="policy-file" className="mb-1.5 block text-sm font-medium text-zinc-800">
            Import a document (YAML or JSON)
          </label>
          <textarea
            id="policy-file"
            className="block h-40 w-full rounded-lg border border-zinc-300 bg-white px-3 py-2 font-mono text-xs text-zinc-900 shadow-xs focus:border-zinc-900 focus:outline-none focus:ring-2 focus:ring-zinc-900/10"
            placeholder={
              'version: 1\nrules:\n  - name: small-refunds\n    actions: ["payments.refund"]\n    condition: "params.amount <= 100"\n    effect: allow'
            }
            value={text}
            onChange={(e) => {
              setText(e.target.value);
              onEdit();
            }}
            spellCheck={false}
          />
          <div className="mt-3 flex flex-wrap gap-2">
            <Button busy={busy} disabled={!text.trim()} onClick={() => onImport(text, true)}>
              Dry run
            </Button>
            <Button variant="primary" busy={busy} disabled={!text.trim() || !checked} onClick={() => onImport(text, false)}>
              Apply
            </Button>
          </div>
        </>
      ) : null}
      {error ? (
        <div className="mt-3">
          <Notice tone="error">{error}</Notice>
        </div>
      ) : null}
      {report ? (
        <dl className="mt-3 grid grid-cols-[max-content_minmax(0,1fr)] gap-x-4 gap-y-1 text-sm" data-testid="import-report">
          <dt className="text-zinc-500">{report.dry_run ? "Would add" : "Added"}</dt>
          <dd>{list(report.added)}</dd>
          <dt className="text-zinc-500">{report.dry_run ? "Would change" : "Changed"}</dt>
          <dd>{list(report.changed)}</dd>
          <dt className="text-zinc-500">{report.dry_run ? "Would remove" : "Removed"}</dt>
          <dd>{list(report.removed)}</dd>
          <dt className="text-zinc-500">Unchanged</dt>
          <dd>{report.unchanged.length}</dd>
        </dl>
      ) : null}
    </Card>
  );
}
