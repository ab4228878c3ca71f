"use client";

import Link from "next/link";
import { useState } from "react";
import { ConfirmDialog } from "@/components/admin/confirm-dialog";
import type { RuleObject } from "@/lib/schemas/policy";
import { AdminTabs } from "@/components/admin/admin-tabs";
import { DefaultRule } from "@/components/admin/policies/default-rule";
import { RuleList } from "@/components/admin/policies/rule-list";
import { EmptyState } from "@/components/ui/empty-state";
import { LockIcon } from "@/components/ui/icons";
import { ListSkeleton } from "@/components/ui/list-skeleton";
import { LoadError } from "@/components/ui/load-error";
import { Notice } from "@/components/ui/notice";
import { PageHeader } from "@/components/ui/page-header";
import { PolicyFilePanel } from "@/components/admin/policies/policy-file-panel";
import { ActionSeverityPanel } from "@/components/admin/policies/action-severity-panel";
import {
  downloadPolicyYaml,
  problemText,
  useActionSeverity,
  useImportPolicy,
  useMoveRule,
  usePromoteRule,
  useRules,
  useSetActionSeverity,
  useSetDefault,
  useSetEnabled,
} from "./policy-api";

/** The rule set in evaluation order, ending with the fail-closed default. */
export function PoliciesView({ canEdit }: { canEdit: boolean }) {
  const { data, error, isPending, refetch } = useRules();
  const move = useMoveRule();
  const toggle = useSetEnabled();
  const promote = usePromoteRule();
  const [promoting, setPromoting] = useState<RuleObject | null>(null);
  const setDefault = useSetDefault();
  const busyId = move.isPending ? (move.variables?.id ?? null) : toggle.isPending ? (toggle.variables?.id ?? null) : null;
  const changeError = problemText(move.error ?? toggle.error);
  const importPolicy = useImportPolicy();
  const severity = useActionSeverity();
  const setSeverity = useSetActionSeverity();

  return (
    <>
      <AdminTabs active="policies" readOnly={!canEdit} />
      <PageHeader
        title="Policies"
        description="What agents may do at once, what is refused, and what waits for whom. Rules are tried top to bottom; the first enabled match decides."
      >
        {canEdit ? (
          <Link
            href="/admin/policies/new"
            className="inline-flex h-9 items-center rounded-lg bg-zinc-900 px-3 text-sm font-medium text-white shadow-xs transition-colors hover:bg-zinc-800"
          >
            New rule
          </Link>
        ) : null}
      </PageHeader>
      <div className="space-y-4">
        {changeError ? <Notice tone="error">{changeError}</Notice> : null}
        {error && !data ? (
          <LoadError what="the policy" message={error.message} onRetry={() => void refetch()} />
        ) : isPending || !data ? (
          <ListSkeleton />
        ) : (
          <div className="overflow-hidden rounded-xl border border-zinc-200 bg-white shadow-xs">
            {data.data.length === 0 ? (
              <EmptyState icon={<LockIcon className="size-5" />} title="No rules yet">
                Every request waits for a reviewer until you add one.
              </EmptyState>
            ) : (
              <RuleList
                rules={data.data}
                defaults={data.default}
                canEdit={canEdit}
                busyId={busyId}
                onMove={(r, direction) => move.mutate({ id: r.id, direction })}
                onToggle={(r) => toggle.mutate({ id: r.id, enabled: !r.enabled })}
                onPromote={(r) => {
                  promote.reset();
                  setPromoting(r);
                }}
              />
            )}
            <DefaultRule
              key={JSON.stringify(data.default)}
              defaults={data.default}
              canEdit={canEdit}
              busy={setDefault.isPending}
              error={problemText(setDefault.error)}
              onSave={(d, done) => setDefault.mutate(d, { onSuccess: done })}
            />
          </div>
        )}
        {severity.data ? (
          <ActionSeverityPanel
            key={JSON.stringify(severity.data.action_severity)}
            rows={severity.data.action_severity}
            canEdit={canEdit}
            busy={setSeverity.isPending}
            error={problemText(setSeverity.error)}
            onSave={(rows, done) => setSeverity.mutate(rows, { onSuccess: done })}
          />
        ) : null}
        <ConfirmDialog
          open={promoting !== null}
          title={`Enforce ${promoting?.name ?? "this rule"}?`}
          confirmLabel="Promote to enforce"
          busy={promote.isPending}
          error={problemText(promote.error)}
          onClose={() => setPromoting(null)}
          onConfirm={() => promoting && promote.mutate({ id: promoting.id }, { onSuccess: () => setPromoting(null) })}
        >
          From the very next request it decides what it matches
          {promoting?.shadow_hits ? ` (its current version matched ${promoting.shadow_hits.count}${promoting.shadow_hits.capped ? "+" : ""} so far)` : ""}, in
          its place in the order. Saved as a new version, and audited.
        </ConfirmDialog>
        <PolicyFilePanel
          canEdit={canEdit}
          busy={importPolicy.isPending}
          error={problemText(importPolicy.error)}
          report={importPolicy.data ?? null}
          onExport={() => void downloadPolicyYaml()}
          onImport={(text, dryRun) => importPolicy.mutate({ text, dryRun })}
          onEdit={() => importPolicy.reset()}
        />
      </div>
    </>
  );
}
