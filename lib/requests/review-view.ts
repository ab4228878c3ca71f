import "server-only";
import { sql } from "kysely";
import { db } from "../db.ts";
import { AppError } from "../errors.ts";
import { ConditionError, ShadowMatch } from "../schemas/policy.ts";
import type { ReviewItem } from "../schemas/review.ts";
import { RiskAssessment } from "../schemas/risk.ts";
import { z } from "../schemas/zod.ts";
import { approvesCurrentParams } from "./amend-params.ts";
import { decisionBarrier, reviewerGroupNames, type Reviewer } from "./decide-request.ts";
import { getRequestById } from "./get-request.ts";
import { listRequests, visibleToReviewer, type ListRequestsOptions } from "./list-requests.ts";
import { listRequestsByRisk } from "./list-requests-by-risk.ts";
import { effectiveStatus, toRequestObject, type StoredRequest } from "./serialize-request.ts";

/** What a reviewer sees of requests: the agent behind each, every vote, and whether they may decide. */
export async function toReviewItems(rows: StoredRequest[], reviewer: Reviewer): Promise<ReviewItem[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const agentIds = [...new Set(rows.map((r) => r.agentId))];
  const deciderIds = [...new Set(rows.flatMap((r) => (r.decisionBy?.startsWith("user:") ? [r.decisionBy.slice(5)] : [])))];
  const [groups, agentRows, reviewerOnly, deciderRows] = await Promise.all([
    reviewer.groups ?? reviewerGroupNames(db(), reviewer.id),
    db()
      .selectFrom("agents")
      .select(["id", "name", "description", "ownerEmail", "trustLevel", "tags"])
      .where("id", "=", (eb) => eb.fn.any(eb.val(agentIds)))
      .execute(),
    reviewerOnlyOf(ids),
    deciderIds.length
      ? db()
          .selectFrom("users")
          .select(["id", "name", "email"])
          .where("id", "=", (eb) => eb.fn.any(eb.val(deciderIds)))
          .execute()
      : [],
  ]);
  const deciders = new Map(deciderRows.map((u) => [`user:${u.id}`, { name: u.name, email: u.email }]));
  const user = { ...reviewer, groups };
  const agents = new Map(agentRows.map((a) => [a.id, a]));
  const now = new Date();
  return Promise.all(
    rows.map(async (r) => {
      const a = agents.get(r.agentId)!;
      const scope = { context: r.context, agent: { ownerEmail: a.ownerEmail }, reviewerGroups: r.reviewerGroups, ownerMayDecide: r.ownerMayDecide };
      const barrier = decisionBarrier(scope, user);
      const pending = effectiveStatus(r, now) === "pending";
      const voted = r.votes.some((v) => v.userId === user.id);
      const reason = barrier ?? (!pending ? "the request is no longer pending" : voted ? "you have already voted" : null);
      return {
        ...(await toRequestObject(r, { now })),
        agent: { id: a.id, name: a.name, description: a.description, owner: a.ownerEmail, trust_level: a.trustLevel, tags: a.tags },
        votes: r.votes.map((v) => ({
          reviewer: v.reviewerEmail,
          decision: v.decision,
          reason: v.reason,
          at: v.createdAt.toISOString(),
          counts: approvesCurrentParams(v, r),
        })),
        reviewers_may_edit: r.reviewersMayEdit,
        reason_required_to_approve: r.reasonRequiredToApprove,
        decided_by: (r.decisionBy ? deciders.get(r.decisionBy) : undefined) ?? null,
        can_decide: reason === null,
        cannot_decide_reason: reason,
        risk: reviewerOnly.get(r.id)?.risk ?? null,
        condition_errors: reviewerOnly.get(r.id)?.condition_errors ?? [],
        shadow_matches: reviewerOnly.get(r.id)?.shadow_matches ?? [],
      };
    }),
  );
}

export async function toReviewItem(r: StoredRequest, user: Reviewer): Promise<ReviewItem> {
  return (await toReviewItems([r], user))[0];
}

const StoredRisk = RiskAssessment.nullable();
const StoredConditionErrors = z.array(ConditionError).nullable();
const StoredShadowMatches = z.array(ShadowMatch).nullable();

/**
 * Risk signals and condition errors are reviewer-only (the agent's own view
 * of a request leaves them out, so they cannot teach it what looks usual or
 * how policy read it); read here by id.
 */
async function reviewerOnlyOf(ids: string[]): Promise<Map<string, Pick<ReviewItem, "risk" | "condition_errors" | "shadow_matches">>> {
  const rows = await db()
    .selectFrom("actionRequests")
    // Both columns are SQL-only (not in the generated types); narrowed here by their schemas.
    .select([
      "id",
      sql.ref<unknown>("risk").as("risk"),
      sql.ref<unknown>("conditionErrors").as("conditionErrors"),
      sql.ref<unknown>("shadowMatches").as("shadowMatches"),
    ])
    .where("id", "=", (eb) => eb.fn.any(eb.val(ids)))
    .execute();
  return new Map(
    rows.map((r) => [
      r.id,
      {
        risk: StoredRisk.parse(r.risk),
        condition_errors: StoredConditionErrors.parse(r.conditionErrors) ?? [],
        shadow_matches: StoredShadowMatches.parse(r.shadowMatches) ?? [],
      },
    ]),
  );
}

/** The review queue or history as `reviewer` may see it (see `visibleToReviewer`), newest or riskiest first. */
export async function listForReviewer(
  reviewer: Reviewer,
  query: Omit<ListRequestsOptions, "agentId" | "visibleToGroups"> & { sort?: "newest" | "risk" },
): Promise<{ data: ReviewItem[]; nextCursor: string | null }> {
  const groups = await reviewerGroupNames(db(), reviewer.id);
  const visibleToGroups = reviewer.role === "reviewer" ? groups : undefined;
  const { sort, ...filters } = query;
  const { data, nextCursor } = await (sort === "risk" ? listRequestsByRisk : listRequests)({ ...filters, visibleToGroups });
  return { data: await toReviewItems(data, { ...reviewer, groups }), nextCursor };
}

/**
 * One request as `reviewer` sees it, with the agent's last approved request for
 * the same action to compare it with; one they may not see answers as missing.
 */
export async function getForReviewer(reviewer: Reviewer, requestId: string): Promise<ReviewItem> {
  const [r, groups] = await Promise.all([getRequestById(requestId), reviewerGroupNames(db(), reviewer.id)]);
  if (!visibleToReviewer(r, reviewer.role, groups)) throw new AppError("not_found", "no such request");
  const [item, previous] = await Promise.all([toReviewItem(r, { ...reviewer, groups }), previousApproval(r)]);
  return { ...item, previous_approval: previous };
}

/**
 * The same agent's most recent approved request for the same action, created
 * before this one: the params a reviewer has already let through, to diff
 * against. Walks the agent's requests newest first by id (time-ordered), so
 * it reads one index and stops at the first match.
 */
async function previousApproval(r: StoredRequest): Promise<ReviewItem["previous_approval"]> {
  const row = await db()
    .selectFrom("actionRequests")
    .select(["id", "params", "decidedAt"])
    .where("agentId", "=", r.agentId)
    .where("id", "<", r.id)
    .where("action", "=", r.action)
    .where("status", "=", "approved")
    .orderBy("id", "desc")
    .limit(1)
    .executeTakeFirst();
  return row ? { id: row.id, params: row.params as Record<string, unknown>, decided_at: row.decidedAt?.toISOString() ?? null } : null;
}
