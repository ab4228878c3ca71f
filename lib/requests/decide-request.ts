import "server-only";
import { type AuditEventInput, eventsInsert } from "../audit/append-event.ts";
import { containAfterDenial } from "../containment/check-containment.ts";
import { sql } from "kysely";
import { announceOnCommit, insertRowWhere, type Queryable, type Row, statementPart, transact } from "../db.ts";
import { AppError } from "../errors.ts";
import { prepareGrant } from "../grants/issue-grant.ts";
import { activeSigningKey } from "../grants/signing-keys.ts";
import { canonicalSha256 } from "../crypto.ts";
import { isId, newId } from "../ids.ts";
import { env } from "../env.ts";
import { metrics } from "../metrics.ts";
import { recordApproval } from "../risk/record-risk-history.ts";
import { lockAgentHistory, recordApprovalHistory } from "../history/approval-history.ts";
import { approvesCurrentParams, changedNames } from "./amend-params.ts";
import { amendedPolicyProblem } from "./check-amended-policy.ts";
import { effectiveStatus, type StoredRequest } from "./serialize-request.ts";
import type { Role } from "../users/roles.ts";

export interface Reviewer {
  id: string;
  email: string;
  role: Role;
  /** Names of the reviewer groups the user belongs to, where the caller loaded them. */
  groups?: string[];
}

/** What of a request decides who may vote on it. */
export interface DecisionScope {
  context: unknown;
  agent: { ownerEmail: string | null };
  /** From the rule: empty means any reviewer. */
  reviewerGroups?: string[];
  ownerMayDecide?: boolean;
}

export interface DecideRequestOptions {
  requestId: string;
  reviewer: Reviewer;
  decision: "approve" | "deny";
  reason?: string;
  /** Only with `approve`: the whole amended params (API 1.1, see amend-params.ts). */
  params?: Record<string, unknown>;
}

/**
 * Why a reviewer may not decide a request, or null when they may.
 * Separation of duties: nobody decides for themselves (`on_behalf_of`) or,
 * unless the rule allows it, for an agent they own; auditors only read; when
 * the rule names reviewer groups, only their members decide (admins too).
 */
export function decisionBarrier(r: DecisionScope, reviewer: Reviewer): string | null {
  if (reviewer.role === "auditor") return "auditors cannot decide requests";
  const email = reviewer.email.toLowerCase();
  const onBehalfOf = (r.context as { on_behalf_of?: unknown } | null)?.on_behalf_of;
  if (typeof onBehalfOf === "string" && onBehalfOf.trim().toLowerCase() === email) {
    return "you cannot decide a request made on your own behalf";
  }
  if (!r.ownerMayDecide && r.agent.ownerEmail && r.agent.ownerEmail.toLowerCase() === email) {
    return "you cannot decide a request from an agent you own";
  }
  const groups = r.reviewerGroups ?? [];
  if (groups.length > 0 && !groups.some((g) => reviewer.groups?.includes(g))) {
    return `only members of ${groups.join(", ")} may decide this request`;
  }
  return null;
}

/**
 * A reviewer votes. One deny denies; approvals count until the rule's number
 * of distinct approvals is reached, and then a grant is issued. The request
 * row is locked (`FOR UPDATE`) for the duration, so decisions on one request
 * run one after another: each counts every vote before it, exactly one makes
 * the terminal transition, and the others get 409.
 */
export async function decideRequest(o: DecideRequestOptions): Promise<StoredRequest> {
  const reason = o.reason?.trim() || null;
  if (o.decision === "deny" && !reason) {
    throw new AppError("validation_failed", "a reason is required to deny", { errors: [{ path: "reason", message: "required to deny" }] });
  }
  if (!isId("req", o.requestId)) throw new AppError("not_found", "no such request");
  if (o.params !== undefined && o.decision !== "approve") {
    throw new AppError("validation_failed", "params may be amended only when approving", { errors: [{ path: "params", message: "only with approve" }] });
  }
  const proposed = o.params === undefined ? null : { params: o.params, sha256: canonicalSha256(o.params) };
  // Before the transaction (it may load the rule set); the verdict depends only on the proposed params.
  const policyProblem = proposed ? await amendedPolicyProblem(o.requestId, proposed.params) : null;
  // Before the transaction: the first load takes a connection of its own.
  const key = o.decision === "approve" ? await activeSigningKey() : null;

  const decided = await transact(async (trx) => {
    // Three statements between BEGIN and COMMIT, each a round trip that waits
    // its turn on a busy server: lock, read the votes, write.
    // Lock first, then read the votes in a statement of its own. Under READ
    // COMMITTED a statement that waited for the lock re-checks only the
    // locked row: votes read by that same statement would come from before
    // the wait, and a concurrent approval committed meanwhile would go
    // uncounted. (The agent's owner and the reviewer's groups ride along with
    // the lock: no decision changes them.)
    const locked = await trx
      .selectFrom("actionRequests")
      .selectAll("actionRequests")
      .select((eb) => [
        eb.selectFrom("agents").select("ownerEmail").whereRef("agents.id", "=", "actionRequests.agentId").as("ownerEmail"),
        sql<
          string[]
        >`ARRAY(${eb.selectFrom("groupMembers as m").innerJoin("groups as g", "g.id", "m.groupId").select("g.name").where("m.userId", "=", o.reviewer.id)})`.as(
          "reviewerGroupNames",
        ),
      ])
      .where("actionRequests.id", "=", o.requestId)
      .forUpdate("actionRequests")
      .executeTakeFirst();
    if (!locked) throw new AppError("not_found", "no such request");
    const { ownerEmail, reviewerGroupNames: groups, ...r } = locked;
    const scope = { context: r.context, agent: { ownerEmail }, reviewerGroups: r.reviewerGroups, ownerMayDecide: r.ownerMayDecide };
    const barrier = decisionBarrier(scope, { ...o.reviewer, groups });
    if (barrier) throw new AppError("forbidden", barrier);
    if (o.decision === "approve" && r.reasonRequiredToApprove && !reason) {
      throw new AppError("validation_failed", "this rule requires a reason to approve", { errors: [{ path: "reason", message: "required to approve" }] });
    }
    const now = new Date();
    const status = effectiveStatus(r, now);
    if (status !== "pending") throw new AppError("conflict", `the request is already ${status}`);
    // Pending, so it has no grant yet: only its votes are left to read.
    const votes = await trx.selectFrom("votes").selectAll().where("requestId", "=", r.id).orderBy("createdAt").orderBy("id").execute();
    if (votes.some((v) => v.userId === o.reviewer.id)) throw new AppError("conflict", "you have already voted on this request");

    // An amendment: checked against the params as they are now, under the lock (another reviewer may have amended them meanwhile).
    const current = r.params as Record<string, unknown>;
    const changed = proposed && proposed.sha256 !== r.paramsSha256 ? changedNames(current, proposed.params) : [];
    let amended: Pick<Row<"actionRequests">, "params" | "paramsSha256" | "originalParams" | "originalParamsSha256" | "amendedBy"> | null = null;
    if (proposed && changed.length > 0) {
      const notAllowed = changed.filter((name) => !r.reviewersMayEdit.includes(name));
      if (notAllowed.length > 0) {
        throw new AppError("edit_not_allowed", `the rule does not let reviewers change ${notAllowed.join(", ")}`, {
          errors: notAllowed.map((name) => ({ path: `params.${name}`, message: "reviewers may not change this" })),
        });
      }
      if (!reason)
        throw new AppError("validation_failed", "a reason is required to amend params", { errors: [{ path: "reason", message: "required to amend" }] });
      if (policyProblem) throw new AppError("edit_changes_policy", policyProblem, { errors: [{ path: "params", message: policyProblem }] });
      const originalSha256 = r.originalParamsSha256 ?? r.paramsSha256;
      // Amended back to what the agent asked: the request is unamended again.
      const reverted = proposed.sha256 === originalSha256;
      amended = {
        params: proposed.params,
        paramsSha256: proposed.sha256,
        originalParams: reverted ? null : (r.originalParams ?? r.params),
        originalParamsSha256: reverted ? null : originalSha256,
        amendedBy: reverted ? null : o.reviewer.email,
      };
    }
    const after = { ...r, ...amended };

    const vote: Row<"votes"> = {
      id: newId("vot"),
      requestId: r.id,
      userId: o.reviewer.id,
      reviewerEmail: o.reviewer.email,
      decision: o.decision,
      reason,
      paramsSha256: o.decision === "approve" ? after.paramsSha256 : null,
      createdAt: now,
    };
    const actor = `user:${o.reviewer.id}`;
    const base = { requestId: r.id, agentId: r.agentId };
    const amendment = amended && { from_sha256: r.paramsSha256, to_sha256: amended.paramsSha256, changed };
    const events: AuditEventInput[] = [
      {
        type: "request.vote_recorded",
        actor,
        ...base,
        data: {
          reviewer: o.reviewer.email,
          decision: o.decision,
          reason,
          ...(vote.paramsSha256 && { params_sha256: vote.paramsSha256 }),
          ...(amendment && { amendment }),
        },
      },
    ];
    // Only approvals of the params as they now stand count: an amendment is a new proposal.
    const approvers = [
      ...votes.filter((v) => approvesCurrentParams(v, after)).map((v) => v.reviewerEmail),
      ...(o.decision === "approve" ? [o.reviewer.email] : []),
    ];
    const next: "pending" | "approved" | "denied" = o.decision === "deny" ? "denied" : approvers.length >= r.approvalsRequired ? "approved" : "pending";

    const terminal = next === "pending" ? {} : { status: next, decidedAt: now, decisionBy: actor, decisionReason: reason };
    let grant: Row<"grants"> | null = null;
    if (next !== "pending") {
      const bound =
        next === "approved"
          ? {
              params_sha256: after.paramsSha256,
              ...(after.originalParamsSha256 && { original_params_sha256: after.originalParamsSha256, amended_by: after.amendedBy }),
            }
          : {};
      events.push({ type: `request.${next}`, actor, ...base, data: { reviewer: o.reviewer.email, reason, approvers, ...bound } });
      if (next === "approved" && key) {
        const issued = prepareGrant({ key, ...base, ttlSeconds: r.grantTtlSeconds, audience: r.grantAudience, approvedBy: approvers, actor });
        grant = issued.grant;
        events.push(issued.event);
      }
    }
    // A final approval joins the agent's history under its history lock, held
    // to the commit: a create's guard (which takes that lock, then counts) sees
    // this approval, or landed before it (lib/history/approval-history.ts).
    if (next === "approved") await lockAgentHistory(trx, r.agentId);
    // One statement writes it all: the vote, the terminal status, the grant and their audit events.
    const nothing = sql`SELECT 1 WHERE FALSE`;
    await trx
      .with("voteIns", () => statementPart(insertRowWhere("votes", vote, sql`TRUE`)))
      .with("requestUpd", () =>
        next === "pending" && !amended
          ? statementPart(nothing)
          : trx
              .updateTable("actionRequests")
              .set({ ...terminal, ...amended })
              .where("id", "=", r.id)
              .returning("id"),
      )
      .with("grantIns", () => statementPart(grant ? insertRowWhere("grants", grant, sql`TRUE`) : nothing))
      .with("eventIns", () => statementPart(eventsInsert(events)))
      // The final approval adds the request, with the params as approved, to its agent's history (history.count/sum).
      .with("historyIns", () =>
        statementPart(
          next === "approved"
            ? recordApprovalHistory({ agentId: r.agentId, action: r.action, params: after.params as Record<string, unknown>, at: now }, sql`TRUE`)
            : nothing,
        ),
      )
      .selectFrom("voteIns")
      .select(sql`1`.as("one"))
      .execute();
    announceOnCommit(trx, { kind: "request", id: r.id, agent_id: r.agentId, status: next });
    return { ...after, ...terminal, votes: [...votes, vote], grant } satisfies StoredRequest;
  }).catch((err: unknown) => {
    // The row lock already turns a second vote by one reviewer into a 409 above; should one still reach the unique index, it is the same conflict, never a 500.
    const e = err as { code?: string; constraint?: string };
    if (e.code === "23505" && e.constraint === "votes_request_id_user_id_key") {
      throw new AppError("conflict", "you have already voted on this request");
    }
    throw err;
  });
  if (decided.status === "approved" && env().COUNTERSIGN_RISK_SIGNALS) {
    const d = decided;
    await recordApproval({
      agentId: d.agentId,
      action: d.action,
      params: d.params as Record<string, unknown>,
      context: d.context as Record<string, unknown>,
      at: d.decidedAt ?? new Date(),
    });
  }
  // Automatic containment (off unless an admin set a denial-rate rule): a denial may take the agent over it.
  if (decided.status === "denied") await containAfterDenial({ agentId: decided.agentId, now: decided.decidedAt ?? new Date() });
  metrics().decisions.inc({ decision: o.decision });
  return decided;
}

/** The names of the reviewer groups a user belongs to. */
export async function reviewerGroupNames(q: Queryable, userId: string): Promise<string[]> {
  const rows = await q.selectFrom("groupMembers as m").innerJoin("groups as g", "g.id", "m.groupId").select("g.name").where("m.userId", "=", userId).execute();
  return rows.map((r) => r.name);
}
