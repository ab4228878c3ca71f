import { CountersignError, CountersignNetworkError, type ApprovalRequest, type ApprovalResult } from "@countersign/sdk";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { ApprovalOutput, OutcomeOutput, RedemptionOutput } from "./schemas.ts";

// Each tool answers twice: `structuredContent` for clients that read the
// output schema, and the same facts as text for the many that only show the
// model `content`. Both end with what the model should do next.

function grantOf(result: ApprovalResult): ApprovalOutput["grant"] {
  if (result.status === "approved") {
    const { id, token, expires_at, redeemed_at } = result.grant;
    return { id, token, expires_at, redeemed_at };
  }
  const grant = result.request.grant;
  return grant ? { id: grant.id, token: grant.token ?? null, expires_at: grant.expires_at, redeemed_at: grant.redeemed_at } : null;
}

function nextStep(request: ApprovalRequest, status: ApprovalOutput["status"], grant: ApprovalOutput["grant"], reason: string | null): string {
  switch (status) {
    case "approved":
      if (grant?.token) {
        const which = request.original_params
          ? "the approved params shown here (a reviewer AMENDED them: not the ones you asked for)"
          : "exactly the approved params";
        return (
          `Call redeem_grant with this token, action "${request.action}" and ${which} immediately before acting; ` +
          `act only if it succeeds, exactly as approved, then call report_outcome. The grant works once and expires at ${grant.expires_at}.`
        );
      }
      if (grant?.redeemed_at) {
        return `This approval was already used (grant redeemed at ${grant.redeemed_at}); it cannot be used again. Report the outcome with report_outcome if you have not. To do this again, ask for a new approval with request_approval.`;
      }
      return "The grant lapsed unused (it expired, or was revoked). Do not act. If the action is still needed, ask again with request_approval.";
    case "denied":
      return `Do not perform this action and do not try to achieve it another way. Tell the user it was denied${reason ? `, and why: ${reason}` : ""}.`;
    case "expired":
      return "Nobody decided in time. Do not act. If the action is still needed, tell the user and ask again with request_approval.";
    case "cancelled":
      return "The request was cancelled. Do not act.";
    case "pending":
      return (
        `No decision yet; do not act. Keep the request_id ${request.id} and call check_approval with it to keep waiting ` +
        `(it can be decided until ${request.expires_at}). Do not call request_approval again for this action.`
      );
  }
}

export function approvalOutput(result: ApprovalResult): ApprovalOutput {
  const request = result.request;
  const grant = grantOf(result);
  const reason = result.status === "denied" ? (result.reason ?? request.decision?.reason ?? null) : (request.decision?.reason ?? null);
  return {
    status: result.status,
    request_id: request.id,
    action: request.action,
    resource: request.resource,
    summary: request.summary,
    decided_by: request.approvals.length ? request.approvals.map((a) => a.reviewer) : request.decision ? [request.decision.by] : [],
    reason,
    request_expires_at: request.expires_at,
    params: request.params,
    amended: request.original_params != null,
    original_params: request.original_params ?? null,
    amended_by: request.amended_by ?? null,
    grant,
    next_step: nextStep(request, result.status, grant, reason),
  };
}

const HEADLINES: Record<ApprovalOutput["status"], string> = {
  approved: "APPROVED",
  denied: "DENIED",
  expired: "EXPIRED (no decision in time)",
  cancelled: "CANCELLED",
  pending: "PENDING (waiting for a reviewer)",
};

export function approvalToolResult(result: ApprovalResult): CallToolResult {
  const out = approvalOutput(result);
  const lines = [`${HEADLINES[out.status]}: ${out.action}${out.resource ? ` on ${out.resource}` : ""} (request ${out.request_id})`, `Summary: ${out.summary}`];
  if (out.status === "approved" && out.decided_by.length) lines.push(`Approved by: ${out.decided_by.join(", ")}`);
  if (out.reason) lines.push(`Reason: ${out.reason}`);
  if (out.amended) {
    lines.push(`AMENDED by ${out.amended_by ?? "a reviewer"}: the params were changed before approval.`);
    lines.push(`You asked for: ${JSON.stringify(out.original_params)}`);
  }
  if (out.status === "approved") lines.push(`Approved params (act with exactly these): ${JSON.stringify(out.params)}`);
  const { approvals, policy } = result.request;
  if (out.status === "pending" && policy.approvals_required > 1) lines.push(`Approvals so far: ${approvals.length} of ${policy.approvals_required}`);
  if (out.grant?.token) lines.push(`Grant token (single use, expires ${out.grant.expires_at}): ${out.grant.token}`);
  lines.push(`Next: ${out.next_step}`);
  return { content: [{ type: "text", text: lines.join("\n") }], structuredContent: { ...out } };
}

export function redemptionToolResult(redemption: Omit<RedemptionOutput, "next_step">): CallToolResult {
  const out: RedemptionOutput = {
    ...redemption,
    next_step: `The grant is now used up. Perform ${redemption.action} now, exactly with these params, then call report_outcome with request_id ${redemption.request_id}.`,
  };
  const text = [
    `REDEEMED: grant ${out.grant_id} for ${out.action}${out.resource ? ` on ${out.resource}` : ""} (request ${out.request_id}) at ${out.redeemed_at}`,
    `Approved params: ${JSON.stringify(out.params)}`,
    `Next: ${out.next_step}`,
  ].join("\n");
  return { content: [{ type: "text", text }], structuredContent: { ...out } };
}

export function outcomeToolResult(request: ApprovalRequest): CallToolResult {
  const outcome = request.outcome!;
  const out: OutcomeOutput = { request_id: request.id, outcome: { status: outcome.status, detail: outcome.detail ?? null, at: outcome.at } };
  const text = `RECORDED: outcome ${outcome.status} for request ${request.id} at ${outcome.at}. Nothing more to do for this request.`;
  return { content: [{ type: "text", text }], structuredContent: { ...out } };
}

// What a model should do about each refusal; the gateway's detail says what happened.
const HINTS: Record<string, string> = {
  validation_failed: "Fix the arguments named above and call again.",
  unauthenticated: "The gateway refused this server's agent key (revoked, expired or unknown). Stop and tell the user; nothing was approved.",
  agent_suspended: "An administrator suspended this agent. Stop all gated actions and tell the user.",
  forbidden: "This agent may not do that. Tell the user.",
  not_found: "There is no such request for this agent. Check the request_id.",
  rate_limited: "Too many calls. Wait a little before calling again.",
  unavailable: "The gateway is temporarily unavailable; nothing was approved. Try again later; do not act meanwhile.",
  payload_too_large: "The arguments are too large. Shorten params or justification.",
  grant_already_redeemed:
    "This grant was already used; it cannot authorise anything again. Do not perform the action again; if it still needs doing, ask for a new approval.",
  grant_expired: "The grant expired before it was redeemed. Do not act; ask again with request_approval if the action is still needed.",
  grant_revoked: "The grant was revoked (the agent was suspended). Do not act; tell the user.",
  grant_mismatch:
    "The action or params differ from what was approved. Do not act. Use exactly the approved action and params, or ask for approval of what you actually mean to do.",
  grant_invalid: "This is not a valid grant token. Use the token exactly as check_approval or request_approval returned it.",
};

/**
 * A refusal from the gateway becomes a tool result with `isError`, not a
 * protocol error: the model must read it to decide what to do next.
 */
export function errorToolResult(err: unknown, context: { url: string; conflictHint?: string }): CallToolResult {
  let text: string;
  if (err instanceof CountersignError) {
    const lines = [`Countersign refused this: ${err.code} (HTTP ${err.status}). ${err.problem.detail ?? err.message}`];
    for (const e of err.errors) lines.push(`  ${e.path || "(body)"}: ${e.message}`);
    const hint = err.code === "conflict" ? context.conflictHint : HINTS[err.code];
    if (hint) lines.push(hint);
    text = lines.join("\n");
  } else if (err instanceof CountersignNetworkError) {
    text = `Could not reach Countersign at ${context.url} (${err.message}). Nothing was approved; do not act. Calling again with the same arguments is safe.`;
  } else {
    text = `Error: ${err instanceof Error ? err.message : String(err)}`;
  }
  return { content: [{ type: "text", text }], isError: true };
}
