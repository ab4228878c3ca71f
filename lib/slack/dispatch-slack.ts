import "server-only";
import { sql } from "kysely";
import { db, type Queryable, transact } from "../db.ts";
import { advanceCursor, eventsAfter, lockCursor } from "../delivery/dispatch.ts";
import { statusAfter } from "../delivery/events.ts";
import type { Claimed } from "../delivery/worker.ts";
import { effectiveStatus } from "../requests/serialize-request.ts";
import { channelsFor, type SlackConfig, slackConfig } from "./config.ts";
import { requestMessage, type SlackRequestView } from "./messages.ts";
import { slackApi } from "./web-api.ts";

/** The audit cursor of the Slack app. Only instances with Slack configured create and advance it. */
export const SLACK_CURSOR = "slack";

/** Events after which a posted message is drawn again: any vote (from any path), the decision, expiry, cancellation. */
const UPDATE_TYPES = new Set(["request.vote_recorded", "request.approved", "request.denied", "request.expired", "request.cancelled"]);

type StoredRisk = { score?: number; flags?: { code: string; explanation: string }[] } | null;

/** The rule's `chat_approval` (default true), from the exact rule version that decided the request. */
export async function chatApprovalAllowed(q: Queryable, policyId: string, policyVersion: number): Promise<boolean> {
  const row = await q
    .selectFrom("policyRuleVersions")
    .select(sql<boolean | null>`(definition->>'chat_approval')::boolean`.as("chatApproval"))
    .where("ruleId", "=", policyId)
    .where("version", "=", policyVersion)
    .executeTakeFirst();
  return row?.chatApproval !== false;
}

/** A request as its Slack message shows it, read now. */
export async function loadSlackView(q: Queryable, requestId: string, now = new Date()): Promise<(SlackRequestView & { reviewerGroups: string[] }) | null> {
  const r = await q
    .selectFrom("actionRequests as r")
    .innerJoin("agents as a", "a.id", "r.agentId")
    .select([
      "r.id",
      "r.action",
      "r.resource",
      "r.summary",
      "r.params",
      "r.status",
      "r.expiresAt",
      "r.approvalsRequired",
      "r.reviewerGroups",
      "r.policyId",
      "r.policyVersion",
      sql<StoredRisk>`r.risk`.as("risk"),
      "a.name as agentName",
    ])
    .where("r.id", "=", requestId)
    .executeTakeFirst();
  if (!r) return null;
  const votes = await q
    .selectFrom("votes")
    .select(["reviewerEmail", "decision", "reason"])
    .where("requestId", "=", requestId)
    .orderBy("createdAt")
    .orderBy("id")
    .execute();
  return {
    id: r.id,
    agentName: r.agentName,
    action: r.action,
    resource: r.resource,
    summary: r.summary,
    params: r.params,
    riskScore: typeof r.risk?.score === "number" ? r.risk.score : null,
    riskFlags: (r.risk?.flags ?? []).map((f) => f.explanation),
    expiresAt: r.expiresAt,
    approvalsRequired: r.approvalsRequired,
    status: effectiveStatus({ status: r.status, expiresAt: r.expiresAt }, now),
    votes: votes.map((v) => ({ email: v.reviewerEmail, decision: v.decision, reason: v.reason })),
    chatApproval: await chatApprovalAllowed(q, r.policyId, r.policyVersion),
    reviewerGroups: r.reviewerGroups,
  };
}

/**
 * Like the email dispatcher: reads audit events after its cursor (locked with
 * SKIP LOCKED, one instance at a time) and advances it, in one short
 * transaction that plans the work; Slack is called after it commits, so no
 * connection or lock is held while Slack answers. A new pending request is
 * posted to the channels of its reviewer groups (chat.postMessage) and the
 * message's channel and ts are kept; a later vote or decision, made on any
 * path, redraws each kept message (chat.update). A message is stored before
 * its request is read again and, if it changed meanwhile, redrawn: a decision
 * that another instance's batch saw before the message was stored is not
 * missed. At most once: a refused or failed call is logged and not retried
 * (the request page stays the place of record).
 */
export async function dispatchSlack(
  o: { batchSize?: number; claim?: boolean; config?: SlackConfig | null } = {},
): Promise<{ read: number; queued: number; claimed: Claimed[] }> {
  const config = o.config ?? slackConfig();
  if (!config) return { read: 0, queued: 0, claimed: [] };
  const plan = await transact(async (trx) => {
    const cursor = await lockCursor(trx, SLACK_CURSOR);
    if (!cursor) return null;
    const all = await eventsAfter(trx, cursor.position, o.batchSize ?? 500);
    if (all.length === 0) return null;
    const created = new Set<string>();
    const changed = new Set<string>();
    for (const e of all) {
      if (!e.requestId) continue;
      if (e.type === "request.created" && statusAfter(e) === "pending") created.add(e.requestId);
      else if (UPDATE_TYPES.has(e.type)) changed.add(e.requestId);
    }
    for (const id of created) changed.delete(id);
    await advanceCursor(trx, SLACK_CURSOR, all[all.length - 1].seq);
    return { read: all.length, created: [...created], changed: [...changed] };
  });
  if (!plan) return { read: 0, queued: 0, claimed: [] };

  let sent = 0;
  for (const id of plan.created) {
    const view = await loadSlackView(db(), id);
    // Decided before it could be posted: nobody needs to act on it in Slack.
    if (view?.status !== "pending") continue;
    const message = requestMessage(view);
    const posted: { channel: string; ts: string }[] = [];
    for (const channel of channelsFor(view.reviewerGroups, config)) {
      const answer = await slackApi("chat.postMessage", { channel, ...message, unfurl_links: false, unfurl_media: false }, config);
      if (!answer.ok || typeof answer.ts !== "string") continue;
      sent++;
      const p = { channel: typeof answer.channel === "string" ? answer.channel : channel, ts: answer.ts };
      await db()
        .insertInto("slackMessages")
        .values({ requestId: id, ...p })
        .onConflict((oc) => oc.columns(["requestId", "channel"]).doUpdateSet({ ts: p.ts }))
        .execute();
      posted.push(p);
    }
    if (posted.length === 0) continue;
    // Read again now that the messages are stored: a vote or decision since is drawn here.
    const now = await loadSlackView(db(), id);
    if (now && JSON.stringify(requestMessage(now)) !== JSON.stringify(message)) sent += await redraw(posted, requestMessage(now), config);
  }
  for (const id of plan.changed) {
    const posted = await db().selectFrom("slackMessages").select(["channel", "ts"]).where("requestId", "=", id).execute();
    if (!posted.length) continue;
    const view = await loadSlackView(db(), id);
    if (view) sent += await redraw(posted, requestMessage(view), config);
  }
  return { read: plan.read, queued: sent, claimed: [] };
}

async function redraw(posted: { channel: string; ts: string }[], message: ReturnType<typeof requestMessage>, config: SlackConfig): Promise<number> {
  let sent = 0;
  for (const p of posted) if ((await slackApi("chat.update", { channel: p.channel, ts: p.ts, ...message }, config)).ok) sent++;
  return sent;
}
