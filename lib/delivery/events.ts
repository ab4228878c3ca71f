import "server-only";
import { publicUrl } from "../env.ts";
import type { WebhookEventType } from "../schemas/webhooks.ts";
import { displayLine, hiddenCharactersWarning, scanRequest } from "../text/hidden-characters.ts";

/*
 * Webhook events (their types are in lib/schemas/webhooks.ts) and the audit
 * events they come from. Webhooks carry what a person or a chat tool needs to
 * act (the request, its agent, the decision, a deep link, a one-line `text`),
 * never a grant token, an agent key or the request's parameters. `data`
 * carries agent text exactly; `text`, which people read, writes hidden
 * characters as ⟨U+…⟩ markers and starts with a warning naming them (params
 * included).
 */

/** Audit event type → webhook event type. */
export const AUDIT_TO_WEBHOOK: Record<string, WebhookEventType> = {
  "request.created": "request.created",
  "request.approved": "request.decided",
  "request.denied": "request.decided",
  "request.expiring": "request.expiring",
  "request.escalated": "request.escalated",
  "request.expired": "request.expired",
  "request.cancelled": "request.cancelled",
  "request.outcome_reported": "request.outcome_reported",
  "grant.redeemed": "grant.redeemed",
  "grant.redemption_refused": "grant.redemption_refused",
  "agent.suspended": "agent.suspended",
  "agent.resumed": "agent.resumed",
  "agent.retired": "agent.retired",
};

/** Audit events that end a request: its callback_url gets `request.decided`. */
export const CALLBACK_AUDIT_TYPES = ["request.approved", "request.denied", "request.expired", "request.cancelled"];

/** An audit event as the dispatcher reads it, joined with its request and agent. */
export interface AuditEventRow {
  seq: string;
  type: string;
  actor: string;
  requestId: string | null;
  agentId: string | null;
  data: Record<string, unknown>;
  occurredAt: Date;
  action: string | null;
  resource: string | null;
  summary: string | null;
  /** Only checked for hidden characters, never sent. */
  justification: string | null;
  params: unknown;
  context: unknown;
  requestStatus: string | null;
  callbackUrl: string | null;
  agentName: string | null;
}

export interface WebhookPayload {
  type: string;
  timestamp: string;
  /** One line for chat tools (Slack and compatible tools show a top-level `text`). */
  text: string;
  data: Record<string, unknown>;
}

const str = (v: unknown): string | null => (typeof v === "string" ? v : null);

/** The request's status right after this event. */
export function statusAfter(e: AuditEventRow): string {
  switch (e.type) {
    case "request.created": {
      const effect = str((e.data.policy as Record<string, unknown> | undefined)?.effect);
      return effect === "allow" ? "approved" : effect === "deny" ? "denied" : "pending";
    }
    case "request.approved":
      return "approved";
    case "request.denied":
      return "denied";
    case "request.expired":
      return "expired";
    case "request.cancelled":
      return "cancelled";
    default:
      return e.requestStatus ?? "pending";
  }
}

function minutesLeft(e: AuditEventRow): string {
  const seconds = typeof e.data.remaining_seconds === "number" ? e.data.remaining_seconds : 0;
  const minutes = Math.max(1, Math.round(seconds / 60));
  return minutes < 90 ? `${minutes} min` : `${Math.round(minutes / 60)} h`;
}

export function requestUrl(id: string): string {
  return `${publicUrl()}/requests/${id}`;
}

/** The one-line `text` of a request event, for chat tools. */
function requestLine(type: string, e: AuditEventRow, p: { who: string; line: string; status: string; reason: string | null; url: string }): string {
  const { who, line, status, reason, url } = p;
  switch (type) {
    case "request.created":
      return status === "pending" ? `${who} asks for approval: ${line}. Review: ${url}` : `${who} asked: ${line}, ${status} by policy. ${url}`;
    case "request.decided": {
      const verb = status === "approved" ? "Approved" : status === "denied" ? "Denied" : status === "expired" ? "Expired undecided" : "Cancelled";
      const by = str(e.data.reviewer) ? ` by ${str(e.data.reviewer)}` : "";
      return `${verb}${by}: ${line}${reason ? `. Reason: ${reason}` : ""}. ${url}`;
    }
    case "request.expiring":
      return `Still undecided, expires in ${minutesLeft(e)}: ${line}. Review: ${url}`;
    case "request.escalated":
      return `Escalated to ${str(e.data.group) ?? "the escalation group"}, undecided with ${minutesLeft(e)} left: ${line}. Review: ${url}`;
    case "request.expired":
      return `Expired undecided: ${line}. ${url}`;
    case "request.cancelled":
      return `Cancelled: ${line}${reason ? ` (${reason})` : ""}. ${url}`;
    case "grant.redeemed":
      return `Grant redeemed, the approved action may run: ${line}. ${url}`;
    case "grant.redemption_refused":
      return `Grant redemption refused (${reason ?? "refused"}): ${line}. ${url}`;
    default:
      return `Outcome reported (${str(e.data.status)}): ${line}. ${url}`;
  }
}

/** The payload of `type` for one audit event. */
export function buildPayload(type: string, e: AuditEventRow): WebhookPayload {
  const agent = e.agentId ? { id: e.agentId, name: e.agentName } : null;
  const data: Record<string, unknown> = { event: { seq: Number(e.seq), type: e.type, actor: e.actor } };
  let text: string;
  const who = e.agentName ?? e.agentId ?? "an agent";
  if (e.requestId) {
    const status = statusAfter(e);
    const request: Record<string, unknown> = {
      id: e.requestId,
      action: e.action,
      resource: e.resource,
      summary: e.summary,
      status,
      agent,
      url: requestUrl(e.requestId),
    };
    if (status !== "pending") {
      request.decision = { status, by: str(e.data.reviewer) ?? e.actor, reason: str(e.data.reason) };
    }
    data.request = request;
    if (e.type.startsWith("grant.")) data.grant = { id: str(e.data.grant_id), ...(e.data.reason ? { refusal: str(e.data.reason) } : {}) };
    if (e.type === "request.outcome_reported") data.outcome = { status: str(e.data.status), detail: str(e.data.detail) };
    const reason = str(e.data.reason);
    const line = `"${displayLine(e.summary ?? e.requestId)}" (${displayLine(who)}, ${displayLine(e.action ?? "")})`;
    text = requestLine(type, e, { who: displayLine(who), line, status, reason: reason && displayLine(reason), url: request.url as string });
    const warning = hiddenCharactersWarning(
      scanRequest({
        action: e.action,
        resource: e.resource,
        summary: e.summary,
        justification: e.justification,
        params: e.params,
        context: e.context,
        outcomeDetail: str(e.data.detail),
      }),
    );
    if (warning) text = `⚠ ${warning} ${text}`;
  } else {
    const reason = str(e.data.reason);
    data.agent = { ...agent, name: e.agentName ?? str(e.data.name), reason, status: str((e.data.after as Record<string, unknown> | undefined)?.status) };
    // Automatic containment says which rule tripped and what it saw.
    if (e.data.containment && typeof e.data.containment === "object") data.agent = { ...(data.agent as object), containment: e.data.containment };
    // Bulk containment says which selector stopped (or resumed) it: `{ tag }` or `{ all: true }`.
    if (e.data.bulk && typeof e.data.bulk === "object") data.agent = { ...(data.agent as object), bulk: e.data.bulk };
    const verb = e.type.split(".")[1] ?? e.type;
    text = `Agent ${displayLine(e.agentName ?? str(e.data.name) ?? e.agentId ?? "")} ${verb}${reason ? `: ${displayLine(reason)}` : ""}`;
  }
  return { type, timestamp: e.occurredAt.toISOString(), text, data };
}

/** The payload of a test event, sent on demand from the console. */
export function testPayload(endpointId: string, now: Date): WebhookPayload {
  return {
    type: "webhook.test",
    timestamp: now.toISOString(),
    text: "Countersign test event: this endpoint receives signed webhooks.",
    data: { endpoint_id: endpointId, url: `${publicUrl()}/admin/webhooks` },
  };
}
