"use client";

import { useState } from "react";
import { AdminTabs } from "@/components/admin/admin-tabs";
import { AgentForm } from "@/components/admin/agent-form";
import { AgentTable } from "@/components/admin/agent-table";
import { type BulkOutcome, BulkOutcomeNotice } from "@/components/admin/bulk-outcome";
import { BulkStatusDialog } from "@/components/admin/bulk-status-dialog";
import { ConnectAgent } from "@/components/admin/connect/connect-agent";
import { CallbackSecretNote } from "@/components/admin/callback-secret";
import { OneTimeSecret } from "@/components/admin/one-time-secret";
import { Button } from "@/components/admin/ui";
import { Card } from "@/components/ui/card";
import { EmptyState } from "@/components/ui/empty-state";
import { BotIcon } from "@/components/ui/icons";
import { ListSkeleton } from "@/components/ui/list-skeleton";
import { LoadError } from "@/components/ui/load-error";
import { PageHeader } from "@/components/ui/page-header";
import { useNow } from "@/components/use-now";
import type { BulkAction } from "@/lib/agents/bulk-preview";
import type { BulkResumeResult, BulkSuspendResult } from "@/lib/schemas/admin-objects";
import { useAgents, useBulkAgentStatus, useCreateAgent } from "../_admin/admin-api";
import { ContainmentCard } from "./containment-card";

/** The agent inventory, with "New agent" and incident containment (suspend or resume many agents at once) for admins. */
export function AgentsView({ canEdit, publicUrl }: { canEdit: boolean; publicUrl: string }) {
  const { data, error, isPending, refetch } = useAgents();
  const create = useCreateAgent();
  const [creating, setCreating] = useState(false);
  const [issued, setIssued] = useState<{ id: string; name: string; key: string; callbackSecret?: string } | null>(null);
  const now = useNow();
  const bulk = useBulkAgentStatus();
  const [bulkAction, setBulkAction] = useState<BulkAction | null>(null);
  // Numbered, so each outcome is a fresh notice (its list of agents folded again).
  const [bulkOutcome, setBulkOutcome] = useState<{ n: number; outcome: BulkOutcome } | null>(null);
  const agents = data?.data ?? [];
  const openBulk = (action: BulkAction) => {
    bulk.reset();
    setBulkAction(action);
    // Counts in the dialog come from the list: read it again now.
    void refetch();
  };

  return (
    <>
      <AdminTabs active="agents" readOnly={!canEdit} />
      <PageHeader title="Agents" description="Every agent identity: who owns it, how far it is trusted, its keys and what it has asked for.">
        {canEdit ? (
          <div className="flex flex-wrap gap-2">
            {agents.some((a) => a.status === "active") ? (
              <Button variant="dangerOutline" onClick={() => openBulk("suspend")}>
                Suspend agents…
              </Button>
            ) : null}
            {agents.some((a) => a.status === "suspended") ? <Button onClick={() => openBulk("resume")}>Resume agents…</Button> : null}
            {!creating ? (
              <Button
                variant="primary"
                onClick={() => {
                  setCreating(true);
                  setIssued(null);
                  create.reset();
                }}
              >
                New agent
              </Button>
            ) : null}
          </div>
        ) : null}
      </PageHeader>
      <div className="space-y-6">
        {bulkOutcome ? <BulkOutcomeNotice key={bulkOutcome.n} outcome={bulkOutcome.outcome} onDismiss={() => setBulkOutcome(null)} /> : null}
        {issued ? (
          <>
            <OneTimeSecret label={`Key for ${issued.name}`} value={issued.key} onDone={() => setIssued(null)} />
            {issued.callbackSecret ? <CallbackSecretNote secret={issued.callbackSecret} /> : null}
            {/* Built in the browser from the create response: the key is not sent anywhere to render these. */}
            <section aria-labelledby="connect-new-agent" className="space-y-4">
              <h2 id="connect-new-agent" className="text-base font-semibold text-zinc-900">
                Connect {issued.name}
              </h2>
              <ConnectAgent agentId={issued.id} agentName={issued.name} publicUrl={publicUrl} agentKey={issued.key} />
            </section>
          </>
        ) : null}
        {creating ? (
          <Card title="New agent">
            <AgentForm
              mode="create"
              busy={create.isPending}
              error={create.error?.message ?? null}
              onCancel={() => setCreating(false)}
              onSubmit={(v) =>
                create.mutate(v, {
                  onSuccess: (r) => {
                    setCreating(false);
                    setIssued({ id: r.agent.id, name: r.agent.name, key: r.key, callbackSecret: r.callback_secret });
                    // The key now lives in this view's state alone, not in the mutation cache.
                    create.reset();
                  },
                })
              }
            />
          </Card>
        ) : null}
        {error && !data ? (
          <LoadError what="the agents" message={error.message} onRetry={() => void refetch()} />
        ) : isPending ? (
          <ListSkeleton />
        ) : !data || data.data.length === 0 ? (
          <div className="rounded-xl border border-dashed border-zinc-300 bg-white">
            <EmptyState icon={<BotIcon className="size-5" />} title="No agents yet">
              Register an agent to give it its own key.
            </EmptyState>
          </div>
        ) : (
          <AgentTable agents={data.data} now={now} />
        )}
        <ContainmentCard canEdit={canEdit} />
      </div>
      {canEdit ? (
        <BulkStatusDialog
          action={bulkAction}
          agents={agents}
          busy={bulk.isPending}
          error={bulk.error?.message ?? null}
          onClose={() => setBulkAction(null)}
          onConfirm={({ choice, reason }) => {
            const action = bulkAction;
            if (!action) return;
            bulk.mutate(
              { action, choice, reason },
              {
                onSuccess: (result) => {
                  setBulkAction(null);
                  setBulkOutcome((last) => ({
                    n: (last?.n ?? 0) + 1,
                    outcome:
                      action === "suspend" ? { action, choice, result: result as BulkSuspendResult } : { action, choice, result: result as BulkResumeResult },
                  }));
                },
              },
            );
          }}
        />
      ) : null}
    </>
  );
}
