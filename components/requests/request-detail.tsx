import { formatDateTime } from "../format";
import { Card } from "../ui/card";
import { ActionLabel } from "./action-label";
import { AgentCard } from "./agent-card";
import { ConditionErrors } from "./condition-errors";
import { ContextView } from "./context-view";
import { DecisionForm, type Decision } from "./decision-form";
import { DecisionRecord } from "./decision-record";
import { ExecutionCard } from "./execution-card";
import { HiddenCharactersWarning, hiddenFindings } from "./hidden-characters-warning";
import { ParamsView } from "./params-view";
import { PolicyCard } from "./policy-card";
import { RiskCard } from "./risk-signals";
import { StatusBadge } from "./status-badge";
import { TimeLeft } from "./time-left";
import type { ReviewItem } from "@/lib/schemas/review";
import { VisibleText } from "./visible-text";

export interface RequestDetailProps {
  item: ReviewItem;
  submitting: Decision | null;
  serverError: string | null;
  onDecide(decision: Decision, reason: string): void;
}

/** Everything a reviewer needs to judge one request, and the place to decide it. */
export function RequestDetail({ item, submitting, serverError, onDecide }: RequestDetailProps) {
  return (
    <article className={`space-y-6 ${item.status === "pending" ? "max-lg:pb-20" : ""}`} data-testid="request-detail" data-status={item.status}>
      <RequestHeader item={item} />
      <HiddenCharactersWarning findings={hiddenFindings(item)} />
      <ConditionErrors errors={item.condition_errors} />
      <div className="grid gap-6 lg:grid-cols-[minmax(0,1fr)_22rem]">
        <div className="min-w-0 space-y-6">
          <Card title="Justification">
            {item.justification ? (
              <p className="whitespace-pre-wrap break-words text-sm leading-relaxed text-zinc-800" data-testid="justification">
                <VisibleText text={item.justification} />
              </p>
            ) : (
              <p className="text-sm text-zinc-400">The agent gave no justification.</p>
            )}
          </Card>
          <RiskCard risk={item.risk} />
          <ParamsView params={item.params} sha256={item.params_sha256} />
          <ContextView context={item.context} />
          <AgentCard agent={item.agent} />
        </div>
        <aside className="min-w-0 space-y-6">
          {item.status === "pending" ? (
            <DecisionForm
              canDecide={item.can_decide}
              cannotDecideReason={item.cannot_decide_reason}
              submitting={submitting}
              serverError={serverError}
              onDecide={onDecide}
            />
          ) : null}
          <DecisionRecord item={item} />
          <ExecutionCard item={item} />
          <PolicyCard policy={item.policy} />
        </aside>
      </div>
    </article>
  );
}

function RequestHeader({ item }: { item: ReviewItem }) {
  return (
    <header className="space-y-3">
      <div className="flex flex-wrap items-center gap-2">
        <StatusBadge status={item.status} />
        <ActionLabel action={item.action} resource={item.resource} />
      </div>
      <h1 className="break-words text-xl font-semibold tracking-tight text-zinc-900 sm:text-2xl" data-testid="request-summary">
        <VisibleText text={item.summary} />
      </h1>
      <p className="flex flex-wrap items-center gap-x-4 gap-y-1 text-sm text-zinc-500">
        <span>
          from <span className="font-medium text-zinc-700">{item.agent.name}</span>
        </span>
        <span>Created {formatDateTime(item.created_at)}</span>
        {item.status === "pending" ? <TimeLeft expiresAt={item.expires_at} /> : null}
        <span className="font-mono text-xs text-zinc-400">{item.id}</span>
      </p>
    </header>
  );
}
