"use client";

import Link from "next/link";
import { useEffect, useState } from "react";
import { AdminTabs } from "@/components/admin/admin-tabs";
import { AgentNotLoaded } from "@/components/admin/agent-not-loaded";
import { AgentStatusBadge } from "@/components/admin/agent-status-badge";
import { ConnectAgent } from "@/components/admin/connect/connect-agent";
import { OneTimeSecret } from "@/components/admin/one-time-secret";
import { Button } from "@/components/admin/ui";
import { ChevronLeftIcon } from "@/components/ui/icons";
import { Notice } from "@/components/ui/notice";
import { useAgent, useIssueKey } from "../../../_admin/admin-api";

/** "Connect" for one agent: snippets with a placeholder key, or with a key issued right here. */
export function ConnectView({ id, canEdit, publicUrl }: { id: string; canEdit: boolean; publicUrl: string }) {
  const { data: agent, error, isPending, refetch } = useAgent(id);
  const issue = useIssueKey(id);
  // The issued key lives in this component's state only: not in the URL, not in storage, gone on leaving.
  const [key, setKey] = useState<string | null>(null);

  useEffect(() => {
    if (agent) document.title = `Connect ${agent.name} · Agents · Countersign`;
  }, [agent]);

  const back = (
    <Link
      href={`/admin/agents/${encodeURIComponent(id)}`}
      className="mb-5 inline-flex max-w-full items-center gap-1 text-sm text-zinc-500 transition-colors hover:text-zinc-900"
    >
      <ChevronLeftIcon className="size-4 shrink-0" />
      <span className="truncate">{agent?.name ?? "Agent"}</span>
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
  const issueButton =
    canEdit && !retired ? (
      <Button
        busy={issue.isPending}
        onClick={() =>
          issue.mutate(
            { expires_in_days: null },
            {
              onSuccess: (r) => {
                setKey(r.key);
                // Drop the response from the mutation cache: the key stays in this view's state alone.
                issue.reset();
              },
            },
          )
        }
      >
        Issue a new key
      </Button>
    ) : null;

  return (
    <>
      <AdminTabs active="agents" readOnly={!canEdit} />
      {back}
      <div className="mb-6 min-w-0" data-testid="connect-page" data-agent-id={agent.id}>
        <h1 className="flex flex-wrap items-center gap-3 text-xl font-semibold tracking-tight text-zinc-900 sm:text-2xl">
          <span className="break-all">Connect {agent.name}</span>
          <AgentStatusBadge status={agent.status} />
        </h1>
        <p className="mt-1 text-sm text-zinc-500">
          Everything this agent needs to ask for approval at <span className="break-all font-mono text-xs text-zinc-700">{publicUrl}</span> as{" "}
          <span className="font-mono text-xs text-zinc-700">{agent.id}</span>.
        </p>
      </div>

      {retired ? (
        <Notice tone="warning" icon="lock">
          Retired: its keys are refused for good, so there is nothing to connect. Register a new agent instead.
        </Notice>
      ) : (
        <div className="space-y-6">
          {agent.status === "suspended" ? (
            <Notice tone="error" icon="lock">
              Suspended: its keys are refused with 403 agent_suspended until it is resumed.
            </Notice>
          ) : null}
          {issue.error ? <Notice tone="error">{issue.error.message}</Notice> : null}
          {key ? <OneTimeSecret label={`New key for ${agent.name}`} value={key} onDone={() => setKey(null)} /> : null}
          <ConnectAgent agentId={agent.id} agentName={agent.name} publicUrl={publicUrl} agentKey={key} keyAction={issueButton} />
        </div>
      )}
    </>
  );
}
