import "server-only";
import { randomBytes } from "node:crypto";
import { sql } from "kysely";
import { sha256Hex } from "../crypto.ts";
import { db, type Trx } from "../db.ts";
import { env, publicUrl } from "../env.ts";
import { AppError } from "../errors.ts";
import { newId } from "../ids.ts";
import { decideRequest, type Reviewer } from "../requests/decide-request.ts";
import { getRequestById } from "../requests/get-request.ts";
import { getForReviewer } from "../requests/review-view.ts";
import type { ReviewItem } from "../schemas/review.ts";

/**
 * One-time decision links in request emails (off unless
 * COUNTERSIGN_EMAIL_DECISION_LINKS). Each link is a random token bound to one
 * request, one reviewer and one decision; only its SHA-256 is stored. Opening
 * it never decides: it shows a confirmation page that needs that reviewer's
 * own signed-in session, and confirming casts the ordinary vote (every rule
 * of a dashboard decision applies). A link works once and for a short time
 * (COUNTERSIGN_DECISION_LINK_TTL_SECONDS, never past the request's expiry);
 * using either link of a pair spends both.
 */

export type LinkDecision = "approve" | "deny";
export interface DecisionLinkRow {
  id: string;
  tokenHash: string;
  requestId: string;
  userId: string;
  decision: LinkDecision;
  expiresAt: Date;
}

const TOKEN = /^cdl_[A-Za-z0-9_-]{43}$/;

/** The pair of links for one reviewer and request: the URLs for the email, and the rows to store with it. */
export function newDecisionLinks(o: { requestId: string; userId: string; requestExpiresAt: Date; now: Date }): {
  urls: Record<LinkDecision, string>;
  rows: DecisionLinkRow[];
} {
  const ttlMs = env().COUNTERSIGN_DECISION_LINK_TTL_SECONDS * 1000;
  const expiresAt = new Date(Math.min(o.now.getTime() + ttlMs, o.requestExpiresAt.getTime()));
  const urls = {} as Record<LinkDecision, string>;
  const rows: DecisionLinkRow[] = [];
  for (const decision of ["approve", "deny"] as const) {
    const token = `cdl_${randomBytes(32).toString("base64url")}`;
    urls[decision] = `${publicUrl()}/decide/${token}`;
    rows.push({ id: newId("dln"), tokenHash: sha256Hex(token), requestId: o.requestId, userId: o.userId, decision, expiresAt });
  }
  return { urls, rows };
}

export async function storeDecisionLinks(trx: Trx, rows: DecisionLinkRow[]): Promise<void> {
  if (rows.length) await trx.insertInto("decisionLinks").values(rows).execute();
}

export type LinkState = "ready" | "used" | "expired";

export interface DecisionLinkView {
  state: LinkState;
  decision: LinkDecision;
  expiresAt: Date;
  /** Deny always; approve when the rule says so. */
  reasonRequired: boolean;
  request: ReviewItem;
}

/**
 * The link behind a token, for the reviewer it was sent to. An unknown token
 * and another reviewer's link answer alike (not found): a link tells nobody
 * else anything.
 */
async function findLink(token: string, reviewer: Reviewer) {
  if (!TOKEN.test(token)) throw new AppError("not_found", "no such decision link");
  const link = await db().selectFrom("decisionLinks").selectAll().where("tokenHash", "=", sha256Hex(token)).executeTakeFirst();
  if (!link || link.userId !== reviewer.id) throw new AppError("not_found", "no such decision link");
  return link;
}

const stateOf = (link: { usedAt: Date | null; expiresAt: Date }, now: Date): LinkState => (link.usedAt ? "used" : link.expiresAt <= now ? "expired" : "ready");

/** What the confirmation page shows: the link's state and the request as this reviewer sees it. */
export async function readDecisionLink(token: string, reviewer: Reviewer, now = new Date()): Promise<DecisionLinkView> {
  const link = await findLink(token, reviewer);
  const [request, stored] = await Promise.all([getForReviewer(reviewer, link.requestId), getRequestById(link.requestId)]);
  const decision = link.decision as LinkDecision;
  return { state: stateOf(link, now), decision, expiresAt: link.expiresAt, reasonRequired: decision === "deny" || stored.reasonRequiredToApprove, request };
}

/**
 * Confirms a link: the reviewer's vote, as from the dashboard, then the link
 * (and its pair) is spent. A refused vote (a missing reason, a decision made
 * meanwhile) leaves the link usable while it lasts; the vote itself can be
 * cast once per reviewer, so two confirmations racing make one vote.
 */
export async function confirmDecisionLink(o: { token: string; reviewer: Reviewer; reason?: string; now?: Date }): Promise<ReviewItem> {
  const now = o.now ?? new Date();
  const link = await findLink(o.token, o.reviewer);
  const state = stateOf(link, now);
  if (state === "used") throw new AppError("conflict", "this decision link was already used");
  if (state === "expired") throw new AppError("conflict", "this decision link has expired; open the request to decide");
  await decideRequest({ requestId: link.requestId, reviewer: o.reviewer, decision: link.decision as LinkDecision, reason: o.reason });
  await db()
    .updateTable("decisionLinks")
    .set({ usedAt: now })
    .where("requestId", "=", link.requestId)
    .where("userId", "=", link.userId)
    .where("usedAt", "is", null)
    .execute();
  return getForReviewer(o.reviewer, link.requestId);
}

/** Links past their time are useless: dropped a day after (the sweep calls this). */
export async function dropExpiredDecisionLinks(now = new Date()): Promise<void> {
  await db().deleteFrom("decisionLinks").where("expiresAt", "<", sql<Date>`${now}::timestamptz - interval '1 day'`).execute();
}
