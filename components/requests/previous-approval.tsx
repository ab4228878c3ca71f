"use client";

import Link from "next/link";
import type { ReviewItem } from "@/lib/schemas/review";
import { formatDateTime } from "../format";
import { Card } from "../ui/card";
import { diffParams, ParamsDiff } from "./params-editor";

/**
 * What changed since the last time a person (or policy) let this agent do
 * this action: its params then, diffed with these. Only on the request page
 * (the single-request view carries `previous_approval`).
 */
export function PreviousApproval({ item }: { item: ReviewItem }) {
  const previous = item.previous_approval;
  if (previous === undefined) return null;
  if (previous === null) {
    return (
      <Card title="Since the last approval">
        <p className="text-sm text-zinc-500" data-testid="previous-approval" data-state="none">
          Nothing to compare with: {item.agent.name} has no earlier approved {item.action} request.
        </p>
      </Card>
    );
  }
  const changes = diffParams(previous.params, item.params);
  const link = (
    <Link
      href={`/requests/${encodeURIComponent(previous.id)}`}
      className="font-mono text-xs underline decoration-zinc-300 underline-offset-2 hover:text-zinc-900"
    >
      {previous.id}
    </Link>
  );
  return (
    <Card title="Since the last approval">
      <div data-testid="previous-approval" data-state={changes.length ? "changed" : "same"} className="space-y-2 text-sm">
        <p className="text-zinc-600">
          Compared with the last approved {item.action} from {item.agent.name}
          {previous.decided_at ? `, ${formatDateTime(previous.decided_at)}` : ""} ({link}):
        </p>
        {changes.length ? <ParamsDiff changes={changes} testId="previous-diff" /> : <p className="text-zinc-800">The same params as then.</p>}
      </div>
    </Card>
  );
}
