"use client";

import { formatDateTime } from "../format";
import { Card, Field, Fields, Muted } from "../ui/card";
import { useNow } from "../use-now";
import type { ReviewItem } from "@/lib/schemas/review";
import { VisibleText } from "./visible-text";

type GrantState = "none" | "issued" | "redeemed" | "expired";

function grantState(grant: ReviewItem["grant"], now: number | null): GrantState {
  if (!grant) return "none";
  if (grant.redeemed_at) return "redeemed";
  if (now !== null && new Date(grant.expires_at).getTime() <= now) return "expired";
  return "issued";
}

const GRANT_BADGE: Record<Exclude<GrantState, "none">, { label: string; className: string }> = {
  issued: { label: "Issued", className: "bg-sky-50 text-sky-800 ring-sky-600/20" },
  redeemed: { label: "Redeemed", className: "bg-emerald-50 text-emerald-800 ring-emerald-600/20" },
  expired: { label: "Expired unused", className: "bg-zinc-100 text-zinc-700 ring-zinc-500/20" },
};

/** What happened after the decision: the one-time grant, and what the agent reports it did. */
export function ExecutionCard({ item }: { item: ReviewItem }) {
  const now = useNow();
  const state = grantState(item.grant, now);
  return (
    <Card title="Grant and outcome">
      <Fields>
        <Field label="Grant">
          {item.grant && state !== "none" ? (
            <span className="flex flex-col gap-1">
              <span
                data-testid="grant-status"
                className={`inline-flex w-fit rounded-md px-1.5 py-0.5 text-xs font-medium ring-1 ring-inset ${GRANT_BADGE[state].className}`}
              >
                {GRANT_BADGE[state].label}
              </span>
              <span className="font-mono text-xs text-zinc-500">{item.grant.id}</span>
              <span className="text-xs text-zinc-500">
                {item.grant.redeemed_at
                  ? `Redeemed ${formatDateTime(item.grant.redeemed_at)}`
                  : `${state === "expired" ? "Expired" : "Expires"} ${formatDateTime(item.grant.expires_at)}`}
              </span>
            </span>
          ) : (
            <Muted>{item.status === "pending" ? "Issued on approval" : "No grant"}</Muted>
          )}
        </Field>
        <Field label="Outcome">
          {item.outcome ? (
            <span className="flex flex-col gap-1">
              <span className={item.outcome.status === "succeeded" ? "font-medium text-emerald-700" : "font-medium text-red-700"}>
                {item.outcome.status === "succeeded" ? "Succeeded" : "Failed"}
              </span>
              {item.outcome.detail ? (
                <span className="whitespace-pre-wrap break-words text-zinc-700">
                  <VisibleText text={item.outcome.detail} />
                </span>
              ) : null}
              <span className="text-xs text-zinc-400">{formatDateTime(item.outcome.at)}</span>
            </span>
          ) : (
            <Muted>Not reported</Muted>
          )}
        </Field>
      </Fields>
    </Card>
  );
}
