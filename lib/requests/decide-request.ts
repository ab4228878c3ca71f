import { appendEvents, type AuditEventInput } from "../audit/append-event.ts";
import { db } from "../db.ts";
import { AppError } from "../errors.ts";
import { notifyRequestChanged } from "../events/notify.ts";
import { issueGrant } from "../grants/issue-grant.ts";
import { isId, newId } from "../ids.ts";
import { metrics } from "../metrics.ts";
import { effectiveStatus, REQUEST_INCLUDE, type StoredRequest } from "./serialize-request.ts";

export interface Reviewer {
  id: string;
  email: string;
  role: "admin" | "reviewer" | "auditor";
}

export interface DecideRequestOptions {
  requestId: string;
  reviewer: Reviewer;
  decision: "approve" | "deny";
  reason?: string;
}

/**
 * Why a reviewer may not decide a request, or null when they may.
 * Separation of duties: nobody decides for themselves (`on_behalf_of`) or for
 * an agent they own; auditors only read.
 */
export function decisionBarrier(r: { context: unknown; agent: { ownerEmail: string | null } }, reviewer: Reviewer): string | null {
  if (reviewer.role === "auditor") return "auditors cannot decide requests";
  const email = reviewer.email.toLowerCase();
  const onBehalfOf = (r.context as { on_behalf_of?: unknown }).on_behalf_of;
  if (typeof onBehalfOf === "string" && onBehalfOf.trim().toLowerCase() === email) {
    return "you cannot decide a request made on your own behalf";
  }
  if (r.agent.ownerEmail && r.agent.ownerEmail.toLowerCase() === email) {
    return "you cannot decide a request from an agent you own";
  }
  return null;
}

/**
 * A reviewer votes. One deny denies; approvals count until the rule's number
 * of distinct approvals is reached, and then a grant is issued. The request
 * row is locked for the duration, so of two concurrent decisions exactly one
 * makes the terminal transition and the other gets 409.
 */
export async function decideRequest(o: DecideRequestOptions): Promise<StoredRequest> {
  const reason = o.reason?.trim() || undefined;
  if (o.decision === "deny" && !reason) {
    throw new AppError("validation_failed", "a reason is required to deny", { errors: [{ path: "reason", message: "required to deny" }] });
  }
  if (!isId("req", o.requestId)) throw new AppError("not_found", "no such request");
  const decided = await db().$transaction(async (tx) => {
    await tx.$executeRaw`SELECT 1 FROM action_requests WHERE id = ${o.requestId} FOR UPDATE`;
    const r = await tx.actionRequest.findUnique({
      where: { id: o.requestId },
      include: { ...REQUEST_INCLUDE, agent: { select: { ownerEmail: true } } },
    });
    if (!r) throw new AppError("not_found", "no such request");
    const barrier = decisionBarrier(r, o.reviewer);
    if (barrier) throw new AppError("forbidden", barrier);
    const now = new Date();
    const status = effectiveStatus(r, now);
    if (status !== "pending") throw new AppError("conflict", `the request is already ${status}`);
    if (r.votes.some((v) => v.userId === o.reviewer.id)) throw new AppError("conflict", "you have already voted on this request");

    await tx.vote.create({
      data: { id: newId("vot"), requestId: r.id, userId: o.reviewer.id, reviewerEmail: o.reviewer.email, decision: o.decision, reason: reason ?? null, createdAt: now },
    });
    const actor = `user:${o.reviewer.id}`;
    const base = { requestId: r.id, agentId: r.agentId };
    const events: AuditEventInput[] = [
      { type: "request.vote_recorded", actor, ...base, data: { reviewer: o.reviewer.email, decision: o.decision, reason: reason ?? null } },
    ];
    const approvers = [...r.votes.filter((v) => v.decision === "approve").map((v) => v.reviewerEmail), ...(o.decision === "approve" ? [o.reviewer.email] : [])];
    let next: "pending" | "approved" | "denied" = "pending";
    if (o.decision === "deny") next = "denied";
    else if (approvers.length >= r.approvalsRequired) next = "approved";

    if (next !== "pending") {
      await tx.actionRequest.update({
        where: { id: r.id },
        data: { status: next, decidedAt: now, decisionBy: actor, decisionReason: reason ?? null },
      });
      events.push({ type: `request.${next}`, actor, ...base, data: { reviewer: o.reviewer.email, reason: reason ?? null, approvers } });
      if (next === "approved") {
        const { event } = await issueGrant(tx, { requestId: r.id, agentId: r.agentId, ttlSeconds: r.grantTtlSeconds, audience: r.grantAudience, approvedBy: approvers, actor });
        events.push(event);
      }
    }
    await notifyRequestChanged(tx, { id: r.id, agent_id: r.agentId, status: next });
    await appendEvents(tx, events);
    return tx.actionRequest.findUniqueOrThrow({ where: { id: r.id }, include: REQUEST_INCLUDE });
  });
  metrics().decisions.inc({ decision: o.decision });
  return decided;
}
