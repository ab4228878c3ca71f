import "server-only";
import { transaction } from "../db.ts";
import { advanceCursor, eventsAfter, insertDeliveries, lockCursor, newDeliveryId, type NewDelivery } from "../delivery/dispatch.ts";
import { statusAfter, type AuditEventRow } from "../delivery/events.ts";
import type { Claimed } from "../delivery/worker.ts";
import { agentSuspendedEmail, requestEmail, type EmailKind, type EmailMessage } from "./messages.ts";
import { loadCandidates, loadRequests, mayDecide, type Candidate } from "./recipients.ts";

/** The audit cursor of email. Only instances with SMTP configured create and advance it. */
export const EMAIL_CURSOR = "email";

const REQUEST_EMAILS: Record<string, { kind: EmailKind; wants: (c: Candidate) => boolean }> = {
  "request.created": { kind: "new_request", wants: (c) => c.email_new_requests },
  "request.expiring": { kind: "reminder", wants: (c) => c.email_reminders },
  "request.escalated": { kind: "escalation", wants: (c) => c.email_escalations },
};

/**
 * Who gets which email for one audit event:
 * - `request.created` (pending): every reviewer who may decide it;
 * - `request.expiring`: those of them who have not voted yet (a reminder);
 * - `request.escalated`: the escalation group's members;
 * - `agent.suspended`: the agent's owner.
 * Each only while the request is still pending, and only to users whose
 * preferences want that kind. An owner who is not a user is always told.
 */
export function emailsFor(
  e: AuditEventRow,
  ctx: { candidates: Candidate[]; requests: Awaited<ReturnType<typeof loadRequests>>; owners: Map<string, string | null>; now: Date },
): EmailMessage[] {
  const spec = REQUEST_EMAILS[e.type];
  if (spec && e.request_id) {
    const r = ctx.requests.get(e.request_id);
    if (r?.status !== "pending" || r.expiresAt <= ctx.now) return [];
    if (e.type === "request.created" && statusAfter(e) !== "pending") return [];
    // Time left as the sweep saw it (the clock that decided to remind), not as the dispatcher sees it.
    const left = e.data.remaining_seconds;
    const now = typeof left === "number" ? new Date(r.expiresAt.getTime() - left * 1000) : ctx.now;
    if (e.type === "request.escalated") {
      const group = typeof e.data.group === "string" ? e.data.group : "";
      return ctx.candidates
        .filter((c) => c.groups.includes(group) && spec.wants(c))
        .map((c) => requestEmail("escalation", c.email, r, { now, canDecide: mayDecide(r, c), group }));
    }
    return ctx.candidates.filter((c) => spec.wants(c) && mayDecide(r, c)).map((c) => requestEmail(spec.kind, c.email, r, { now, canDecide: true }));
  }
  if (e.type === "agent.suspended" && e.agent_id) {
    const owner = ctx.owners.get(e.agent_id);
    if (!owner) return [];
    const user = ctx.candidates.find((c) => c.email.toLowerCase() === owner.toLowerCase());
    if (user && !user.email_agent_alerts) return [];
    const reason = typeof e.data.reason === "string" ? e.data.reason : null;
    return [
      agentSuspendedEmail(owner, {
        id: e.agent_id,
        name: e.agent_name ?? e.agent_id,
        by: e.actor,
        reason,
        automatic: e.actor === "system" || !!e.data.containment,
      }),
    ];
  }
  return [];
}

const EMAIL_EVENT_TYPES = new Set([...Object.keys(REQUEST_EMAILS), "agent.suspended"]);

/**
 * The email dispatcher: like the webhook dispatcher, it reads audit events
 * after its cursor (locked with SKIP LOCKED, so one instance at a time) and
 * queues one `mailto:` delivery per recipient in the same transaction that
 * advances the cursor; the delivery worker sends them over SMTP with the same
 * retries, history and manual retry as webhooks.
 */
export async function dispatchEmails(
  o: { batchSize?: number; claim?: boolean; now?: Date } = {},
): Promise<{ read: number; queued: number; claimed: Claimed[] }> {
  const batchSize = o.batchSize ?? 500;
  return transaction(async (client) => {
    const cursor = await lockCursor(client, EMAIL_CURSOR);
    if (!cursor) return { read: 0, queued: 0, claimed: [] };
    const all = await eventsAfter(client, cursor.position, batchSize);
    if (all.length === 0) return { read: 0, queued: 0, claimed: [] };
    const events = all.filter((e) => EMAIL_EVENT_TYPES.has(e.type));

    const queued: NewDelivery[] = [];
    if (events.length) {
      const requestIds = [...new Set(events.map((e) => e.request_id).filter((id): id is string => !!id))];
      const agentIds = [...new Set(events.filter((e) => e.type === "agent.suspended").map((e) => e.agent_id!))];
      const [candidates, requests, owners] = await Promise.all([
        loadCandidates(client),
        loadRequests(client, requestIds),
        agentIds.length
          ? client.query<{ id: string; owner_email: string | null }>("SELECT id, owner_email FROM agents WHERE id = ANY($1::text[])", [agentIds])
          : Promise.resolve({ rows: [] as { id: string; owner_email: string | null }[] }),
      ]);
      const ctx = { candidates, requests, owners: new Map(owners.rows.map((r) => [r.id, r.owner_email])), now: o.now ?? new Date() };
      for (const e of events) {
        for (const message of emailsFor(e, ctx)) {
          queued.push({
            id: newDeliveryId(),
            endpoint_id: null,
            agent_id: null,
            url: `mailto:${message.to}`,
            event_type: e.type,
            event_seq: e.seq,
            request_id: e.request_id,
            payload: message,
          });
        }
      }
    }
    await insertDeliveries(client, queued, o.claim ?? false);
    await advanceCursor(client, EMAIL_CURSOR, all[all.length - 1].seq);
    const claimed = o.claim ? queued.map((d) => ({ id: d.id, url: d.url, payload: d.payload, attempts: 1, secret_sealed: null, agent_id: null })) : [];
    return { read: all.length, queued: queued.length, claimed };
  });
}
