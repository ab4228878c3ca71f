import "server-only";
import { type Insertable, type RawBuilder, sql } from "kysely";
import type { AuthenticatedAgent } from "../agents/authenticate-agent.ts";
import { type AuditEventInput, eventsInsert } from "../audit/append-event.ts";
import { containAfterRequest } from "../containment/check-containment.ts";
import { deliveryConfig } from "../delivery/config.ts";
import { urlProblem } from "../delivery/url-safety.ts";
import { canonicalSha256 } from "../crypto.ts";
import { type DB, db, insertRowWhere, type Queryable, type Row, statementPart, transact } from "../db.ts";
import { logger } from "../logger.ts";
import { announceRequests } from "../events/notify.ts";
import { env } from "../env.ts";
import { AppError } from "../errors.ts";
import { prepareGrant } from "../grants/issue-grant.ts";
import { activeSigningKey } from "../grants/signing-keys.ts";
import { newId } from "../ids.ts";
import { limiter } from "../limits/rate-limit.ts";
import { metrics } from "../metrics.ts";
import { resolveOnBehalfOf } from "../on-behalf-of/verify-on-behalf-of.ts";
import { evaluatePolicy, historyApplies, type EvaluatePolicyInput, type ResolvedPolicy } from "../policy/evaluate-policy.ts";
import {
  forgetHistorySnapshots,
  historyApproved,
  historyUnchanged,
  type KeptSnapshot,
  loadHistoryTotals,
  lockAgentHistory,
  recentHistorySnapshot,
  recordApprovalHistory,
} from "../history/approval-history.ts";
import type { ShadowMatchRecord } from "../policy/resolve-policy.ts";
import { assessRisk } from "../risk/assess-risk.ts";
import { recordRequest } from "../risk/record-risk-history.ts";
import type { CreateRequestBody } from "../schemas/requests.ts";
import { checkPendingCount, pendingCapReached } from "./pending-cap.ts";
import { findByIdempotencyKey, findStoredRequest } from "./request-rows.ts";
import type { StoredRequest } from "./serialize-request.ts";

export interface CreateRequestOptions {
  agent: AuthenticatedAgent;
  body: CreateRequestBody;
  /** From the `Idempotency-Key` header or the body field. */
  idempotencyKey?: string;
}

export interface CreateRequestResult {
  request: StoredRequest;
  /** True when an earlier request with the same idempotency key and body was returned. */
  replayed: boolean;
}

/**
 * An agent asks for approval. The matching rule decides at once (allow with a
 * grant, deny with the rule's reason) or leaves the request pending for
 * reviewers. The request, its grant and their audit events are one SQL
 * statement: they commit together, in one round trip; waiters are woken
 * after it commits.
 */
export async function createRequest(o: CreateRequestOptions): Promise<CreateRequestResult> {
  const { agent, body } = o;
  if (body.callback_url !== undefined) {
    // The agent chooses this URL: it may reach internal addresses only where the admin allowed it.
    const problem = urlProblem(body.callback_url, deliveryConfig().callbacks);
    if (problem) throw new AppError("validation_failed", `callback_url ${problem}`, { errors: [{ path: "callback_url", message: problem }] });
  }
  const idempotencyKey = o.idempotencyKey ?? body.idempotency_key;
  const { idempotency_key: _ignored, ...hashed } = body;
  const bodySha256 = canonicalSha256(hashed);

  if (idempotencyKey) {
    const earlier = await findByIdempotencyKey(db(), agent.id, idempotencyKey);
    if (earlier) return replay(earlier, bodySha256);
  }

  await limiter("agent-requests", env().COUNTERSIGN_AGENT_RATE_PER_MINUTE, 60).consume(agent.id, "this agent is sending requests too fast");

  const params = body.params ?? {};
  // Before anything reads or stores the context: the on-behalf-of token is verified and dropped.
  const { context, verification: onBehalfOf } = await resolveOnBehalfOf(body.context ?? {});
  const now = new Date();
  // Before policy: rule conditions may test `risk.flags` and `risk.score`.
  const riskSignals = env().COUNTERSIGN_RISK_SIGNALS;
  const maxPending = env().COUNTERSIGN_MAX_PENDING_PER_AGENT;
  const assessed = riskSignals
    ? await assessRisk({
        agent,
        action: body.action,
        resource: body.resource ?? null,
        summary: body.summary,
        justification: body.justification ?? null,
        params,
        context,
        now,
        countPendingUpTo: maxPending,
      })
    : null;
  const risk = assessed && { score: assessed.score, flags: assessed.flags };
  const policyInput = { action: body.action, resource: body.resource ?? null, params, context, agent, risk, now, policyRevision: agent.policyRevision };
  // Conditions that read history (history.count/sum) must not pass a limit on
  // a stale total: such a create lands only if no approval of its agent
  // landed since its read (a guard in its statement, under the agent's history
  // lock); otherwise it is evaluated again, in a transaction holding that lock.
  const history = await historyApplies(policyInput);
  const readsHistory = history.needs.length > 0;
  const signingKey = readsHistory ? await activeSigningKey() : undefined;
  const land = async (q: Queryable, policy: ResolvedPolicy, guard?: RawBuilder<boolean>) => {
    if (body.expires_in !== undefined && body.expires_in > policy.waitSeconds) {
      throw new AppError("validation_failed", `expires_in may be at most ${policy.waitSeconds} seconds for this action`, {
        errors: [{ path: "expires_in", message: `must be at most ${policy.waitSeconds}` }],
      });
    }
    const waits = policy.effect === "require_approval";
    if (waits) checkPendingCount(assessed?.pendingCount);

    const id = newId("req");
    const status = policy.effect === "allow" ? "approved" : policy.effect === "deny" ? "denied" : "pending";
    const decided = status !== "pending";
    const by = `policy:${policy.id}`;
    const paramsSha256 = canonicalSha256(params);
    const events: AuditEventInput[] = [
      {
        type: "request.created",
        actor: `agent:${agent.id}`,
        requestId: id,
        agentId: agent.id,
        data: {
          action: body.action,
          resource: body.resource ?? null,
          params_sha256: paramsSha256,
          summary: body.summary,
          on_behalf_of: context.on_behalf_of ?? null,
          ...(onBehalfOf && {
            on_behalf_of_verified: onBehalfOf.verified,
            ...(onBehalfOf.verified
              ? { on_behalf_of_subject: { email: onBehalfOf.email, sub: onBehalfOf.sub, iss: onBehalfOf.iss } }
              : { on_behalf_of_unverified_reason: onBehalfOf.reason }),
          }),
          policy: { id: policy.id, version: policy.version, effect: policy.effect, approvals_required: policy.approvalsRequired },
          risk: risk && { score: risk.score, flags: risk.flags.map((f) => f.code) },
          // A condition error fails closed; the record says so (each with how it was treated).
          condition_errors: policy.conditionErrors,
          // Shadow rules that matched: what they would have done, with no effect on this request.
          shadow_matches: policy.shadowMatches,
        },
      },
    ];
    if (status === "approved") {
      events.push({ type: "request.approved", actor: by, requestId: id, agentId: agent.id, data: { reason: "allowed by policy" } });
    } else if (status === "denied") {
      events.push({ type: "request.denied", actor: by, requestId: id, agentId: agent.id, data: { reason: policy.denyReason } });
    }

    let grant: Row<"grants"> | null = null;
    if (status === "approved") {
      const prepared = prepareGrant({
        key: signingKey ?? (await activeSigningKey()),
        requestId: id,
        agentId: agent.id,
        ttlSeconds: policy.grantTtlSeconds,
        audience: policy.audience,
        approvedBy: [by],
        actor: by,
      });
      grant = prepared.grant;
      events.push(prepared.event);
    }
    const row: Insertable<DB["actionRequests"]> = {
      id,
      agentId: agent.id,
      action: body.action,
      resource: body.resource ?? null,
      params,
      paramsSha256,
      summary: body.summary,
      justification: body.justification ?? null,
      context,
      status,
      policyId: policy.id,
      policyName: policy.name,
      policyVersion: policy.version,
      policyEffect: policy.effect,
      approvalsRequired: policy.approvalsRequired,
      reviewerGroups: policy.reviewerGroups,
      reasonRequiredToApprove: policy.reasonRequiredToApprove,
      ownerMayDecide: policy.ownerMayDecide,
      reviewersMayEdit: policy.reviewersMayEdit,
      grantTtlSeconds: policy.grantTtlSeconds,
      grantAudience: policy.audience,
      createdAt: now,
      expiresAt: new Date(now.getTime() + (body.expires_in ?? policy.waitSeconds) * 1000),
      decidedAt: decided ? now : null,
      decisionBy: decided ? by : null,
      decisionReason: status === "denied" ? policy.denyReason : status === "approved" ? "allowed by policy" : null,
      idempotencyKey: idempotencyKey ?? null,
      bodySha256,
      callbackUrl: body.callback_url ?? null,
      risk,
      conditionErrors: policy.conditionErrors.length ? policy.conditionErrors : null,
      shadowMatches: policy.shadowMatches.length ? policy.shadowMatches : null,
    };

    // One statement, so one round trip and its own transaction: the request,
    // its grant and their audit events land together or not at all.
    // - The agent must still be active when the request lands: a suspension
    //   that committed after this call was authenticated leaves nothing behind
    //   (the row lock waits for it, and the status is re-read).
    // - The pending cap is exact: a request that would wait locks its agent's
    //   row (FOR NO KEY UPDATE: creates of one agent that would wait go one
    //   at a time; other agents, and requests decided at once, never wait), and
    //   only then counts, with countersign_pending_count, a VOLATILE function
    //   that takes a fresh snapshot, so it sees every request committed before
    //   the lock was granted.
    const max = env().COUNTERSIGN_MAX_PENDING_PER_AGENT;
    // The history guard is checked (and its lock taken) before the agent row is locked, the order of the locked path too.
    const agentRow = q
      .selectFrom("agents")
      .select("id")
      .where("id", "=", agent.id)
      .where("status", "=", "active")
      .$if(guard !== undefined, (qb) => qb.where(guard!));
    const landed = sql`EXISTS (SELECT 1 FROM req)`;
    const rows = await q
      .with("agentOk", () => (waits ? agentRow.forNoKeyUpdate() : agentRow.forKeyShare()))
      .with("room", (qc) => qc.selectFrom("agentOk").select(sql<string>`countersign_pending_count(agent_ok.id, ${max}::int)`.as("pending")))
      .with("req", () =>
        statementPart(insertRowWhere("actionRequests", row, waits ? sql`(SELECT pending FROM room) < ${max}` : sql`EXISTS (SELECT 1 FROM agent_ok)`)),
      )
      .with("grantIns", () => statementPart(grant ? insertRowWhere("grants", grant, landed) : sql`SELECT 1 WHERE FALSE`))
      .with("eventIns", () => statementPart(eventsInsert(events, landed)))
      // An allow is this agent's history from now on (history.count/sum in conditions).
      .with("historyIns", () =>
        statementPart(
          status === "approved" ? recordApprovalHistory({ agentId: agent.id, action: body.action, params, at: now }, landed) : sql`SELECT 1 WHERE FALSE`,
        ),
      )
      .with("shadowIns", () => statementPart(shadowHitsInsert(policy.shadowMatches, id, now, landed)))
      .selectFrom("req")
      .selectAll()
      .$castTo<Row<"actionRequests">>()
      .execute();
    return { id, policy, status, grant, rows };
  };
  let landed: Awaited<ReturnType<typeof land>> & { evaluatedWith?: KeptSnapshot };
  try {
    landed = readsHistory
      ? await landReadingHistory(agent.id, { ...policyInput, ruleSet: history.ruleSet }, land)
      : await land(db(), await evaluatePolicy({ ...policyInput, ruleSet: history.ruleSet }));
  } catch (err) {
    // Two retries with one key raced: the loser returns the winner's request.
    if (idempotencyKey && (err as { code?: string }).code === "23505") {
      const earlier = await findByIdempotencyKey(db(), agent.id, idempotencyKey);
      if (earlier) return replay(earlier, bodySha256);
    }
    throw err;
  }
  const { id, policy, status, grant, rows } = landed;
  if (rows.length === 0) {
    // Refused inside the statement: say why (rare, so a second read is fine).
    const still = await db().selectFrom("agents").select("status").where("id", "=", agent.id).executeTakeFirst();
    if (still?.status !== "active") throw new AppError("agent_suspended", "this agent is no longer active");
    throw pendingCapReached(maxPending);
  }
  // Its history changed: the snapshot its evaluation read (if any) is carried forward, other kept ones dropped.
  if (status === "approved") historyApproved(agent.id, { action: body.action, params, at: now }, landed.evaluatedWith);
  announceRequests([{ id, agent_id: agent.id, status }]);
  const created: StoredRequest = { ...rows[0], votes: [], grant };
  const [, contained] = await Promise.all([
    riskSignals
      ? recordRequest({ agentId: agent.id, action: body.action, at: now, approved: status === "approved" ? { params, context } : undefined })
      : undefined,
    // Automatic containment (off unless an admin set rules): a request that
    // takes the agent over a limit suspends it, which cancels this request if
    // it was pending and revokes its grant if it was allowed; answer with that.
    containAfterRequest({ agent, status, now }),
  ]);
  metrics().requestsCreated.inc({ effect: policy.effect });
  const request = (contained && (await findStoredRequest(db(), { id }))) || created;
  return { request, replayed: false };
}

class HistoryUnavailable extends Error {}

/**
 * Evaluates and lands a request whose conditions read history, in one
 * statement when it can: the totals are read without a lock, and the insert
 * carries a guard that takes the agent's history lock and checks that no
 * approval of the agent landed since the read. When one did (the insert did
 * not land), or nothing landed for another reason, it is done again the
 * careful way, under the lock (`landWithHistory`), which also says why.
 */
async function landReadingHistory<R extends { rows: unknown[] }>(
  agentId: string,
  input: EvaluatePolicyInput,
  land: (q: Queryable, policy: ResolvedPolicy, guard?: RawBuilder<boolean>) => Promise<R>,
  reuse = true,
): Promise<R & { evaluatedWith?: KeptSnapshot }> {
  let read: Awaited<ReturnType<typeof recentHistorySnapshot>> | undefined;
  let policy: ResolvedPolicy;
  try {
    policy = await evaluatePolicy({
      ...input,
      loadHistory: async (needs, now) => {
        read = await recentHistorySnapshot(agentId, needs, now, { reuse }).catch((err: unknown) => {
          throw new HistoryUnavailable((err as Error).message);
        });
        return read.snapshot.totals;
      },
    });
  } catch (err) {
    if (!(err instanceof HistoryUnavailable)) throw err;
    logger.warn({ err: err.message, agentId }, "agent history unavailable: history conditions fail closed");
    return land(db(), await evaluatePolicy({ ...input, loadHistory: async () => null }));
  }
  if (!read) return land(db(), policy);
  const first = await land(db(), policy, historyUnchanged(agentId, read.snapshot));
  if (first.rows.length > 0) return { ...first, evaluatedWith: read.snapshot };
  // The history moved since the snapshot (or the agent is refused): a kept
  // snapshot is read again first; a fresh one that lost goes the careful way.
  forgetHistorySnapshots(agentId);
  return read.reused ? landReadingHistory(agentId, input, land, false) : landWithHistory(agentId, input, land);
}

/**
 * Evaluates and lands a request that history conditions apply to: in one
 * transaction holding the agent's history lock, so the totals read are those
 * of every allow committed before (and this allow is counted before the next
 * evaluation reads). When the history cannot be read, the transaction is
 * rolled back and the request is evaluated with history unavailable: those
 * conditions fail closed.
 */
async function landWithHistory<R>(agentId: string, input: EvaluatePolicyInput, land: (q: Queryable, policy: ResolvedPolicy) => Promise<R>): Promise<R> {
  try {
    return await transact(async (trx) => {
      await lockAgentHistory(trx, agentId);
      const policy = await evaluatePolicy({
        ...input,
        loadHistory: (needs, now) =>
          loadHistoryTotals(trx, agentId, needs, now).catch((err: unknown) => {
            throw new HistoryUnavailable((err as Error).message);
          }),
      });
      return land(trx, policy);
    });
  } catch (err) {
    if (!(err instanceof HistoryUnavailable)) throw err;
    logger.warn({ err: err.message, agentId }, "agent history unavailable: history conditions fail closed");
    return land(db(), await evaluatePolicy({ ...input, loadHistory: async () => null }));
  }
}

/** One row per shadow match (the console's hit counts), insert-only so creates never wait on a counter row. */
function shadowHitsInsert(matches: readonly ShadowMatchRecord[], requestId: string, at: Date, guard: RawBuilder<unknown>) {
  if (matches.length === 0) return sql`SELECT 1 WHERE FALSE`;
  return sql`INSERT INTO policy_shadow_hits (rule_id, version, request_id, created_at)
    SELECT h.rule_id, h.version, ${requestId}, ${at.toISOString()}::timestamptz
    FROM unnest(${matches.map((m) => m.rule_id)}::text[], ${matches.map((m) => m.version)}::int[]) AS h(rule_id, version)
    WHERE ${guard}`;
}

function replay(earlier: StoredRequest, bodySha256: string): CreateRequestResult {
  if (earlier.bodySha256 !== bodySha256) {
    throw new AppError("conflict", "this idempotency key was already used with a different request body");
  }
  return { request: earlier, replayed: true };
}
