"use client";

import Link from "next/link";
import { useEffect, useState } from "react";
import { AdminTabs } from "@/components/admin/admin-tabs";
import { AgentNotLoaded } from "@/components/admin/agent-not-loaded";
import { AgentForm } from "@/components/admin/agent-form";
import { AgentStatusBadge } from "@/components/admin/agent-status-badge";
import { ConfirmDialog } from "@/components/admin/confirm-dialog";
import { ConnectAgent, ConnectLink } from "@/components/admin/connect/connect-agent";
import { KeyList } from "@/components/admin/key-list";
import { RotateCallbackSecret } from "@/components/admin/callback-secret";
import { OneTimeSecret } from "@/components/admin/one-time-secret";
import { Button, inputClass, Tags } from "@/components/admin/ui";
import { formatDateTime } from "@/components/format";
import { Card, Field, Fields, Muted } from "@/components/ui/card";
import { ChevronLeftIcon } from "@/components/ui/icons";
import { Notice } from "@/components/ui/notice";
import { useNow } from "@/components/use-now";
import { useAgent, useAgentStatus, useIssueKey, useRevokeKey, useUpdateAgent } from "../../_admin/admin-api";

type StatusAction = "suspend" | "resume" | "retire";

const CONFIRM: Record<StatusAction, { title: string; label: string; text: string }> = {
  suspend: {
    title: "Suspend this agent?",
    label: "Suspend agent",
    text: "Its keys stop working at once (403 agent_suspended), its pending requests are cancelled and its unredeemed grants revoked. You can resume it later; cancelled requests stay cancelled.",
  },
  resume: { title: "Resume this agent?", label: "Resume agent", text: "Its live keys work again." },
  retire: {
    title: "Retire this agent for good?",
    label: "Retire agent",
    text: "Its keys stop working for good (401), its pending requests are cancelled and its unredeemed grants revoked. A retired agent cannot be resumed.",
  },
};

/** One agent: metadata, keys, and the kill switch. */
export function AgentDetailView({ id, canEdit, publicUrl }: { id: string; canEdit: boolean; publicUrl: string }) {
  const { data: agent, error, isPending, refetch } = useAgent(id);
  const status = useAgentStatus(id);
  const update = useUpdateAgent(id);
  const issue = useIssueKey(id);
  const revoke = useRevokeKey(id);
  const [confirm, setConfirm] = useState<StatusAction | null>(null);
  const [editing, setEditing] = useState(false);
  const [newKey, setNewKey] = useState<string | null>(null);
  const [keyDays, setKeyDays] = useState("");
  const [outcome, setOutcome] = useState<string | null>(null);
  const now = useNow();

  useEffect(() => {
    if (agent) document.title = `${agent.name} · Agents · Countersign`;
  }, [agent]);

  const back = (
    <Link href="/admin/agents" className="mb-5 inline-flex items-center gap-1 text-sm text-zinc-500 transition-colors hover:text-zinc-900">
      <ChevronLeftIcon className="size-4" />
      Agents
    </Link>
  );

  if (!agent) {
    return (
      <>
        <AdminTabs active="agents" readOnly={!canEdit} />
        {back}
        <AgentNotLoaded error={error} isPending={isPending} onRetry={() => void refetch()} />
      </>
    );
  }

  const retired = agent.status === "retired";
  return (
    <>
      <AdminTabs active="agents" readOnly={!canEdit} />
      {back}
      <div className="mb-6 flex flex-wrap items-start justify-between gap-4" data-testid="agent-detail" data-status={agent.status}>
        <div className="min-w-0">
          <h1 className="flex flex-wrap items-center gap-3 text-xl font-semibold tracking-tight text-zinc-900 sm:text-2xl">
            <span className="break-all">{agent.name}</span>
            <AgentStatusBadge status={agent.status} />
          </h1>
          <p className="mt-1 font-mono text-xs text-zinc-500">{agent.id}</p>
        </div>
        {!retired ? (
          <div className="flex flex-wrap gap-2">
            <ConnectLink agentId={agent.id} />
            {!canEdit ? null : agent.status === "active" ? (
              <Button
                variant="danger"
                onClick={() => {
                  status.reset();
                  setConfirm("suspend");
                }}
              >
                Suspend
              </Button>
            ) : (
              <Button
                variant="primary"
                onClick={() => {
                  status.reset();
                  setConfirm("resume");
                }}
              >
                Resume
              </Button>
            )}
            {canEdit ? (
              <Button
                variant="dangerOutline"
                onClick={() => {
                  status.reset();
                  setConfirm("retire");
                }}
              >
                Retire
              </Button>
            ) : null}
          </div>
        ) : null}
      </div>

      <div className="space-y-6">
        {agent.status === "suspended" ? (
          <Notice tone="error" icon="lock" testId="suspended-notice">
            Suspended: its keys are refused with 403 agent_suspended and it cannot ask for anything until it is resumed.
          </Notice>
        ) : retired ? (
          <Notice tone="warning" icon="lock">
            Retired: its keys are refused and it cannot be resumed.
          </Notice>
        ) : null}
        {outcome ? (
          <Notice tone="warning" testId="status-outcome">
            {outcome}
          </Notice>
        ) : null}

        <div className="grid gap-6 lg:grid-cols-[minmax(0,1fr)_minmax(0,1fr)]">
          <Card
            title="Details"
            aside={
              canEdit && !editing && !retired ? (
                <button
                  type="button"
                  onClick={() => {
                    update.reset();
                    setEditing(true);
                  }}
                  className="text-sm font-medium text-zinc-600 hover:text-zinc-900"
                >
                  Edit
                </button>
              ) : null
            }
          >
            {editing ? (
              <AgentForm
                mode="edit"
                initial={{ description: agent.description ?? "", owner: agent.owner ?? "", trust_level: agent.trust_level, tags: agent.tags }}
                busy={update.isPending}
                error={update.error?.message ?? null}
                onCancel={() => setEditing(false)}
                onSubmit={(v) => update.mutate(v, { onSuccess: () => setEditing(false) })}
              />
            ) : (
              <Fields>
                <Field label="Purpose">{agent.description ?? <Muted>—</Muted>}</Field>
                <Field label="Owner">{agent.owner ?? <Muted>—</Muted>}</Field>
                <Field label="Trust level">
                  <span className="capitalize" data-testid="trust-level">
                    {agent.trust_level}
                  </span>
                </Field>
                <Field label="Tags">
                  <Tags tags={agent.tags} />
                </Field>
                <Field label="Requests">
                  <span data-testid="request-counts">
                    {agent.requests.pending} pending · {agent.requests.total} in total
                  </span>
                </Field>
                <Field label="Last seen">{agent.last_seen_at ? formatDateTime(agent.last_seen_at) : <Muted>never</Muted>}</Field>
                <Field label="Registered">{formatDateTime(agent.created_at)}</Field>
              </Fields>
            )}
          </Card>

          <Card title="Keys" aside={<span className="text-xs text-zinc-500">{agent.live_keys} live</span>}>
            <div className="space-y-4">
              {newKey ? (
                <>
                  <OneTimeSecret label="New key" value={newKey} onDone={() => setNewKey(null)} />
                  <a
                    href="#connect-new-key"
                    className="inline-block text-sm font-medium text-zinc-700 underline decoration-zinc-300 underline-offset-2 hover:text-zinc-900"
                  >
                    Connect snippets with this key ↓
                  </a>
                </>
              ) : null}
              <KeyList
                keys={agent.keys}
                now={now}
                canEdit={canEdit}
                revoking={revoke.isPending ? (revoke.variables ?? null) : null}
                onRevoke={(k) => revoke.mutate(k)}
              />
              {revoke.error ? <Notice tone="error">{revoke.error.message}</Notice> : null}
              {canEdit && !retired ? (
                <form
                  className="flex flex-wrap items-end gap-2 border-t border-zinc-100 pt-4"
                  onSubmit={(e) => {
                    e.preventDefault();
                    issue.mutate(
                      { expires_in_days: keyDays ? Number(keyDays) : null },
                      {
                        onSuccess: (r) => {
                          setNewKey(r.key);
                          setKeyDays("");
                          issue.reset();
                        },
                      },
                    );
                  }}
                >
                  <div className="min-w-0 flex-1 basis-40">
                    <label htmlFor="key-days" className="mb-1.5 block text-xs font-medium text-zinc-600">
                      Expires after (days, optional)
                    </label>
                    <input
                      id="key-days"
                      type="number"
                      min={1}
                      max={3650}
                      value={keyDays}
                      onChange={(e) => setKeyDays(e.target.value)}
                      className={`${inputClass} h-9 py-1`}
                    />
                  </div>
                  <Button type="submit" busy={issue.isPending}>
                    Issue new key
                  </Button>
                  <p className="w-full text-xs text-zinc-500">To rotate: issue a new key, deploy it, then revoke the old one. Both work in between.</p>
                  {issue.error ? <Notice tone="error">{issue.error.message}</Notice> : null}
                </form>
              ) : null}
              {canEdit && !retired ? <RotateCallbackSecret agentId={agent.id} /> : null}
            </div>
          </Card>
        </div>

        {newKey && !retired ? (
          // Built in the browser from the issue response: the key is not sent anywhere to render these.
          <section id="connect-new-key" aria-labelledby="connect-new-key-title" className="scroll-mt-6 space-y-4">
            <h2 id="connect-new-key-title" className="text-base font-semibold text-zinc-900">
              Connect {agent.name} with the new key
            </h2>
            <ConnectAgent agentId={agent.id} agentName={agent.name} publicUrl={publicUrl} agentKey={newKey} />
          </section>
        ) : null}
      </div>

      <ConfirmDialog
        open={confirm !== null}
        title={confirm ? CONFIRM[confirm].title : ""}
        confirmLabel={confirm ? CONFIRM[confirm].label : ""}
        withReason={confirm !== "resume"}
        busy={status.isPending}
        error={status.error?.message ?? null}
        onClose={() => setConfirm(null)}
        onConfirm={(reason) =>
          confirm &&
          status.mutate(
            { action: confirm, reason },
            {
              onSuccess: (r) => {
                setConfirm(null);
                setOutcome(
                  "cancelled_requests" in r
                    ? `${r.agent.status === "retired" ? "Retired" : "Suspended"}: ${r.cancelled_requests.length} pending request${r.cancelled_requests.length === 1 ? "" : "s"} cancelled, ${r.revoked_grants} grant${r.revoked_grants === 1 ? "" : "s"} revoked.`
                    : null,
                );
              },
            },
          )
        }
      >
        {confirm ? CONFIRM[confirm].text : null}
      </ConfirmDialog>
    </>
  );
}
