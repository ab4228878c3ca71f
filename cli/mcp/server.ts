import type { Countersign } from "@countersign/sdk";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { SessionIdempotency } from "./idempotency.ts";
import { heartbeat } from "./progress.ts";
import { approvalToolResult, errorToolResult, outcomeToolResult, redemptionToolResult } from "./results.ts";
import { approvalOutput, checkApprovalInput, outcomeOutput, redeemGrantInput, redemptionOutput, reportOutcomeInput, requestApprovalInput } from "./schemas.ts";

export interface McpServerOptions {
  client: Countersign;
  /** The gateway's URL, for messages. */
  url: string;
  version: string;
  maxWaitSeconds: number;
}

const INSTRUCTIONS = `Countersign is the approval gateway between you and consequential actions (money, production systems, data, access, messages sent for someone). Your operator decides which actions need approval; when in doubt, ask.

1. Before acting, call request_approval with the exact action and params you will use, a one-line summary and a justification.
2. approved: call redeem_grant with the grant token, the same action and params, immediately before acting. Act only if it succeeds, exactly as approved; then call report_outcome.
3. denied: do not act and do not work around it; tell the user the reason.
4. pending: do not act. Keep the request_id and call check_approval later; never create a duplicate request.
5. expired or cancelled: do not act; ask again only if it is still needed.

An approval covers exactly what was approved, once. Never change the params after approval.`;

export function createMcpServer({ client, url, version, maxWaitSeconds }: McpServerOptions): McpServer {
  const server = new McpServer({ name: "countersign", title: "Countersign", version }, { instructions: INSTRUCTIONS });
  const idempotency = new SessionIdempotency();
  const waitMs = (requested: number | undefined) => Math.min(requested ?? maxWaitSeconds, maxWaitSeconds) * 1000;
  const refused = (err: unknown, conflictHint?: string) => errorToolResult(err, { url, conflictHint });

  server.registerTool(
    "request_approval",
    {
      title: "Ask for approval",
      description: `Ask a human reviewer (or your operator's policy) for permission BEFORE performing a consequential action: moving or refunding money, changing production systems or data, deleting things, changing access, sending messages on someone's behalf, merging code. One call per concrete action, with the exact params you will use: the approval is bound to them.

summary: one line a reviewer can judge at a glance. justification: why (the user's instruction, ticket, evidence). Never include secrets.

Waits up to ${maxWaitSeconds} s for the decision, then returns status:
- approved: a single-use grant token, valid for minutes. Call redeem_grant right before acting, act exactly as approved, then report_outcome.
- denied: do not act or work around it; tell the user the reason.
- pending: no decision yet. Keep request_id and call check_approval later; do not create a new request.
- expired / cancelled: do not act.
Calling again with identical arguments returns the same request, not a duplicate.`,
      inputSchema: requestApprovalInput(maxWaitSeconds),
      outputSchema: approvalOutput,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
    },
    async (args, extra): Promise<CallToolResult> => {
      const { wait_seconds, idempotency_key, ...body } = args;
      let idempotencyKey = idempotency_key;
      let fingerprint: string | undefined;
      if (!idempotencyKey) {
        fingerprint = idempotency.fingerprint(body);
        const previous = idempotency.previous(fingerprint);
        idempotencyKey = idempotency.key(fingerprint, previous !== undefined && (await usedUp(client, previous)) ? previous : undefined);
      }
      let stop = () => {};
      try {
        const result = await client.requestApproval(body, {
          idempotencyKey,
          timeoutMs: waitMs(wait_seconds),
          signal: extra.signal,
          onPending: (request) => {
            if (fingerprint) idempotency.remember(fingerprint, request.id);
            stop = heartbeat(extra, `Waiting for a reviewer to decide ${request.id}`);
          },
        });
        if (fingerprint) idempotency.remember(fingerprint, result.request.id);
        return approvalToolResult(result);
      } catch (err) {
        return refused(
          err,
          "This idempotency_key was already used for a request with different arguments. Use a new idempotency_key for a different request, or the same arguments to get the earlier one.",
        );
      } finally {
        stop();
      }
    },
  );

  server.registerTool(
    "check_approval",
    {
      title: "Check an approval request",
      description: `Check on a request made with request_approval, waiting up to ${maxWaitSeconds} s for its decision. Use it when request_approval answered pending, or to get the grant token again if a response was lost (the token is returned until it is redeemed or expires). Returns the same statuses as request_approval: approved (with the grant token: redeem_grant right before acting, then report_outcome), denied (do not act; tell the user the reason), pending (still waiting: do not act; check again later), expired or cancelled (do not act).`,
      inputSchema: checkApprovalInput(maxWaitSeconds),
      outputSchema: approvalOutput,
      annotations: { readOnlyHint: true, openWorldHint: true },
    },
    async ({ request_id, wait_seconds }, extra): Promise<CallToolResult> => {
      const stop = heartbeat(extra, `Waiting for a reviewer to decide ${request_id}`);
      try {
        return approvalToolResult(await client.waitForDecision(request_id, { timeoutMs: waitMs(wait_seconds), signal: extra.signal }));
      } catch (err) {
        return refused(err);
      } finally {
        stop();
      }
    },
  );

  server.registerTool(
    "redeem_grant",
    {
      title: "Use an approval",
      description: `Redeem an approved request's grant token immediately before performing the action, with exactly the action and params you are about to execute. Perform the action only if this succeeds: a grant works once, and only for what was approved. Errors: grant_already_redeemed (already used: do not act again), grant_expired (too late: ask again with request_approval), grant_mismatch (not what was approved: do not act), grant_revoked (stop and tell the user). If the service that performs the action redeems grants itself, hand it the token instead of calling this.`,
      inputSchema: redeemGrantInput,
      outputSchema: redemptionOutput,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
    },
    async ({ token, action, params }): Promise<CallToolResult> => {
      try {
        return redemptionToolResult(await client.redeemGrant(token, { action, params }));
      } catch (err) {
        return refused(err);
      }
    },
  );

  server.registerTool(
    "report_outcome",
    {
      title: "Report what happened",
      description:
        "After performing an approved action, report whether it actually succeeded or failed, with a short factual detail (IDs created, error messages). Once per request; the record of what was approved and what was done depends on it.",
      inputSchema: reportOutcomeInput,
      outputSchema: outcomeOutput,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
    },
    async ({ request_id, status, detail }): Promise<CallToolResult> => {
      try {
        return outcomeToolResult(await client.reportOutcome(request_id, { status, detail }));
      } catch (err) {
        return refused(err, "An outcome is reported once per request, and only after its grant was redeemed.");
      }
    },
  );

  return server;
}

/** Whether an earlier request is over as a question: its approval used or lapsed, or it expired. */
async function usedUp(client: Countersign, requestId: string): Promise<boolean> {
  try {
    const request = await client.getRequest(requestId);
    if (request.status === "expired" || request.status === "cancelled") return true;
    return request.status === "approved" && !request.grant?.token;
  } catch {
    // Unknown: reuse the key; at worst the earlier request is returned again.
    return false;
  }
}
