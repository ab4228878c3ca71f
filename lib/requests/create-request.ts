import "server-only";
import type { AuthenticatedAgent } from "../agents/authenticate-agent.ts";
import { withAuditEvents, type AuditEventInput } from "../audit/append-event.ts";
import { containAfterRequest } from "../containment/check-containment.ts";
import { deliveryConfig } from "../delivery/config.ts";
import { urlProblem } from "../delivery/url-safety.ts";
import { canonicalSha256 } from "../crypto.ts";
import { pool } from "../db.ts";
import { env } from "../env.ts";
import { AppError } from "../errors.ts";
import { announceRequests } from "../events/notify.ts";
import type { Grant } from "../generated/prisma/client.ts";
import { issueGrant } from "../grants/issue-grant.ts";
import { newId } from "../ids.ts";
import { limiter } from "../limits/rate-limit.ts";
import { metrics } from "../metrics.ts";
import { evaluatePolicy } from "../policy/evaluate-policy.ts";
import { assessRisk } from "../risk/assess-risk.ts";
import { recordRequest } from "../risk/record-risk-history.ts";
import type { CreateRequestBody } from "../schemas/requests.ts";
import { insertJsonRow, Statement } from "../sql.ts";
import { checkPendingCap } from "./pending-cap.ts";
import { selectStoredRequest, toStoredRequest } from "./request-rows.ts";
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
 * reviewers. The request, its grant, their audit events and the notification
 * are one SQL statement: they commit together, in one round trip.
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
    const earlier = await findByIdempotencyKey(agent.id, idempotencyKey);
    if (earlier) return replay(earlier, bodySha256);
  }

  await limiter("agent-requests", env().COUNTERSIGN_AGENT_RATE_PER_MINUTE, 60).consume(agent.id, "this agent is sending requests too fast");

  const params = body.params ?? {};
  const context = body.context ?? {};
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
  const policy = await evaluatePolicy({
    action: body.action,
    resource: body.resource ?? null,
    params,
    context,
    agent,
    risk,
    now,
    policyRevision: agent.policyRevision,
  });
  if (body.expires_in !== undefined && body.expires_in > policy.waitSeconds) {
    throw new AppError("validation_failed", `expires_in may be at most ${policy.waitSeconds} seconds for this action`, {
      errors: [{ path: "expires_in", message: `must be at most ${policy.waitSeconds}` }],
    });
  }
  if (policy.effect === "require_approval") await checkPendingCap(agent.id, assessed?.pendingCount);

  const id = newId("req");
  const status = policy.effect === "allow" ? "approved" : policy.effect === "deny" ? "denied" : "pending";
  const decided = status !== "pending";
  const by = `policy:${policy.id}`;
  const paramsSha256 = canonicalSha256(params);
  const row = {
    id,
    agent_id: agent.id,
    action: body.action,
    resource: body.resource ?? null,
    params,
    params_sha256: paramsSha256,
    summary: body.summary,
    justification: body.justification ?? null,
    context,
    status,
    policy_id: policy.id,
    policy_name: policy.name,
    policy_version: policy.version,
    policy_effect: policy.effect,
    approvals_required: policy.approvalsRequired,
    reviewer_groups: policy.reviewerGroups,
    reason_required_to_approve: policy.reasonRequiredToApprove,
    owner_may_decide: policy.ownerMayDecide,
    grant_ttl_seconds: policy.grantTtlSeconds,
    grant_audience: policy.audience,
    created_at: now.toISOString(),
    expires_at: new Date(now.getTime() + (body.expires_in ?? policy.waitSeconds) * 1000).toISOString(),
    decided_at: decided ? now.toISOString() : null,
    decision_by: decided ? by : null,
    decision_reason: status === "denied" ? policy.denyReason : status === "approved" ? "allowed by policy" : null,
    idempotency_key: idempotencyKey ?? null,
    body_sha256: bodySha256,
    callback_url: body.callback_url ?? null,
    risk,
    condition_errors: policy.conditionErrors.length ? policy.conditionErrors : null,
  };

  // The agent must still be active when the request lands: a suspension that
  // committed after this call was authenticated leaves nothing behind (the
  // key-share lock waits for it and the status is re-read).
  const statement = new Statement();
  statement.with("agent_ok", `SELECT 1 FROM agents WHERE id = ${statement.param(agent.id)} AND status = 'active' FOR KEY SHARE`);
  statement.with("req", insertJsonRow(statement, "action_requests", row, { where: "EXISTS (SELECT 1 FROM agent_ok)", returning: true }));
  const landed = "EXISTS (SELECT 1 FROM req)";
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
        policy: { id: policy.id, version: policy.version, effect: policy.effect, approvals_required: policy.approvalsRequired },
        risk: risk && { score: risk.score, flags: risk.flags.map((f) => f.code) },
        // A condition error fails closed; the record says so (each with how it was treated).
        condition_errors: policy.conditionErrors,
      },
    },
  ];
  let grant: Grant | null = null;
  if (status === "approved") {
    events.push({ type: "request.approved", actor: by, requestId: id, agentId: agent.id, data: { reason: "allowed by policy" } });
    const issued = await issueGrant(
      statement,
      { requestId: id, agentId: agent.id, ttlSeconds: policy.grantTtlSeconds, audience: policy.audience, approvedBy: [by], actor: by },
      landed,
    );
    grant = issued.grant;
    events.push(issued.event);
  } else if (status === "denied") {
    events.push({ type: "request.denied", actor: by, requestId: id, agentId: agent.id, data: { reason: policy.denyReason } });
  }
  withAuditEvents(statement, events, landed);

  try {
    const { rows } = await pool().query(statement.build("SELECT req.* FROM req"));
    if (rows.length === 0) throw new AppError("agent_suspended", "this agent is no longer active");
    announceRequests([{ id, agent_id: agent.id, status }]);
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
    const request = (contained && (await selectStoredRequest(pool(), "r.id = $1", [id]))) || toStoredRequest(rows[0], [], grant);
    return { request, replayed: false };
  } catch (err) {
    // Two retries with one key raced: the loser returns the winner's request.
    if (idempotencyKey && (err as { code?: string }).code === "23505") {
      const earlier = await findByIdempotencyKey(agent.id, idempotencyKey);
      if (earlier) return replay(earlier, bodySha256);
    }
    throw err;
  }
}

function findByIdempotencyKey(agentId: string, idempotencyKey: string): Promise<StoredRequest | null> {
  return selectStoredRequest(pool(), "r.agent_id = $1 AND r.idempotency_key = $2", [agentId, idempotencyKey]);
}

function replay(earlier: StoredRequest, bodySha256: string): CreateRequestResult {
  if (earlier.bodySha256 !== bodySha256) {
    throw new AppError("conflict", "this idempotency key was already used with a different request body");
  }
  return { request: earlier, replayed: true };
}
