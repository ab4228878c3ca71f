import "server-only";
import { sql } from "kysely";
import { transact } from "../db.ts";
import { advanceCursor, eventsAfter, insertDeliveries, lockCursor, newDeliveryId, type NewDelivery } from "../delivery/dispatch.ts";
import { statusAfter, type AuditEventRow } from "../delivery/events.ts";
import type { Claimed } from "../delivery/worker.ts";
import { agentSuspendedEmail, requestEmail, type EmailKind, type EmailMessage } from "./messages.ts";
import { env } from "../env.ts";
import { type DecisionLinkRow, newDecisionLinks, storeDecisionLinks } from "./decision-links.ts";
import { loadCandidates, loadRequests, mayDecide, type Candidate, type RequestForEmail } from "./recipients.ts";

/** The audit cursor of email. Only instances with SMTP configured create and advance it. */
export const EMAIL_CURSOR = "email";

const REQUEST_EMAILS: Record<string, { kind: EmailKind; wants: (c: Candidate) => boolean }> = {
  "request.created": { kind: "new_request", wants: (c) => c.emailNewRequests },
  "request.expiring": { kind: "reminder", wants: (c) => c.emailReminders },
  "request.escalated": { kind: "escalation", wants: (c) => c.emailEscalations },
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
  ctx: {
    candidates: Candidate[];
    requests: Awaited<ReturnType<typeof loadRequests>>;
    owners: Map<string, string | null>;
    now: Date;
    /** One-time decision links for `c`, in every email about a request they may decide (when links are on). */
    decisionLinks?: (r: RequestForEmail, c: Candidate) => { approve: string; deny: string; minutes: number };
  },
): EmailMessage[] {
  const spec = REQUEST_EMAILS[e.type];
  if (spec && e.requestId) {
    const r = ctx.requests.get(e.requestId);
    if (r?.status !== "pending" || r.expiresAt <= ctx.now) return [];
    if (e.type === "request.created" && statusAfter(e) !== "pending") return [];
    // Time left as the sweep saw it (the clock that decided to remind), not as the dispatcher sees it.
    const left = e.data.remaining_seconds;
    const now = typeof left === "number" ? new Date(r.expiresAt.getTime() - left * 1000) : ctx.now;
    if (e.type === "request.escalated") {
      const group = typeof e.data.group === "string" ? e.data.group : "";
      return ctx.candidates
        .filter((c) => c.groups.includes(group) && spec.wants(c))
        .map((c) => {
          const canDecide = mayDecide(r, c);
          return requestEmail("escalation", c.email, r, { now, canDecide, group, decisionLinks: canDecide ? ctx.decisionLinks?.(r, c) : undefined });
        });
    }
    return ctx.candidates
      .filter((c) => spec.wants(c) && mayDecide(r, c))
      .map((c) =>
        requestEmail(spec.kind, c.email, r, {
          now,
          canDecide: true,
          // A reminder carries fresh links too: the reviewer it reminds may have deleted the first email.
          decisionLinks: ctx.decisionLinks?.(r, c),
        }),
      );
  }
  if (e.type === "agent.suspended" && e.agentId) {
    const owner = ctx.owners.get(e.agentId);
    if (!owner) return [];
    const user = ctx.candidates.find((c) => c.email.toLowerCase() === owner.toLowerCase());
    if (user && !user.emailAgentAlerts) return [];
    const reason = typeof e.data.reason === "string" ? e.data.reason : null;
    return [
      agentSuspendedEmail(owner, {
        id: e.agentId,
        name: e.agentName ?? e.agentId,
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
  return transact(async (trx) => {
    const cursor = await lockCursor(trx, EMAIL_CURSOR);
    if (!cursor) return { read: 0, queued: 0, claimed: [] };
    const all = await eventsAfter(trx, cursor.position, batchSize);
    if (all.length === 0) return { read: 0, queued: 0, claimed: [] };
    const events = all.filter((e) => EMAIL_EVENT_TYPES.has(e.type));

    const queued: NewDelivery[] = [];
    const links: DecisionLinkRow[] = [];
    if (events.length) {
      const requestIds = [...new Set(events.map((e) => e.requestId).filter((id): id is string => !!id))];
      const agentIds = [...new Set(events.filter((e) => e.type === "agent.suspended").map((e) => e.agentId!))];
      const [candidates, requests, owners] = await Promise.all([
        loadCandidates(trx),
        loadRequests(trx, requestIds),
        agentIds.length ? trx.selectFrom("agents").select(["id", "ownerEmail"]).where("id", "=", sql<string>`any(${agentIds}::text[])`).execute() : [],
      ]);
      const now = o.now ?? new Date();
      const decisionLinks = env().COUNTERSIGN_EMAIL_DECISION_LINKS
        ? (r: RequestForEmail, c: Candidate) => {
            const made = newDecisionLinks({ requestId: r.id, userId: c.id, requestExpiresAt: r.expiresAt, now });
            links.push(...made.rows);
            // What the email promises is what the link allows: never past the request's own expiry.
            return { ...made.urls, minutes: Math.max(1, Math.floor((made.rows[0].expiresAt.getTime() - now.getTime()) / 60_000)) };
          }
        : undefined;
      const ctx = { candidates, requests, owners: new Map(owners.map((r) => [r.id, r.ownerEmail])), now, decisionLinks };
      for (const e of events) {
        for (const message of emailsFor(e, ctx)) {
          queued.push({
            id: newDeliveryId(),
            endpoint_id: null,
            agent_id: null,
            url: `mailto:${message.to}`,
            event_type: e.type,
            event_seq: e.seq,
            request_id: e.requestId,
            payload: message,
          });
        }
      }
    }
    // The links' rows commit with the emails that carry them (and with the cursor that moved past them).
    await storeDecisionLinks(trx, links);
    await insertDeliveries(trx, queued, o.claim ?? false);
    await advanceCursor(trx, EMAIL_CURSOR, all[all.length - 1].seq);
    const claimed = o.claim ? queued.map((d) => ({ id: d.id, url: d.url, payload: d.payload, attempts: 1, secretSealed: null, agentId: null })) : [];
    return { read: all.length, queued: queued.length, claimed };
  });
}
