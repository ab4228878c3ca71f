import canonicalize from "canonicalize";
import type { ApprovalResult, Countersign, RequestContext } from "@countersign/sdk";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { RequestHandlerExtra } from "@modelcontextprotocol/sdk/shared/protocol.js";
import type { CallToolRequest, CallToolResult, ServerNotification, ServerRequest } from "@modelcontextprotocol/sdk/types.js";
import { ProgressReporter } from "../mcp/progress.ts";
import { errorToolResult } from "../mcp/results.ts";
import { actionFor, fingerprintOf, summaryFor } from "./actions.ts";
import type { OpenCalls } from "./open-calls.ts";

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

export interface GateOptions {
  client: Countersign;
  upstream: Client;
  /** The NAME in `mcp.NAME.TOOL`. */
  name: string;
  /** The gateway's URL, for messages. */
  url: string;
  maxWaitSeconds: number;
  calls: OpenCalls;
}

// An approved tool may run long (a build, a migration); progress from the upstream keeps the call alive.
const UPSTREAM_TIMEOUT_MS = 10 * 60_000;
const DETAIL_MAX = 4000;

const refusal = (text: string): CallToolResult => ({ content: [{ type: "text", text }], isError: true });

// Canonical (RFC 8785) JSON: the same arguments always read the same, whatever order the gateway stored them in.
const json = (value: unknown) => canonicalize(value) ?? "null";

/**
 * One `tools/call` through the gateway: ask Countersign (or continue the
 * request an identical earlier call left pending), and call the upstream tool
 * only after the grant is redeemed, with exactly the approved arguments.
 */
export async function gateToolCall(options: GateOptions, params: CallToolRequest["params"], extra: Extra): Promise<CallToolResult> {
  const { client, name, calls } = options;
  const tool = params.name;
  const args = (params.arguments ?? {}) as Record<string, unknown>;
  const action = actionFor(name, tool);
  const fingerprint = fingerprintOf(name, tool, args);
  const progress = new ProgressReporter(extra);
  const waitMs = options.maxWaitSeconds * 1000;

  let stop = () => {};
  const waiting = (requestId: string) => {
    calls.opened(fingerprint, requestId);
    stop = progress.heartbeat(`Waiting for a reviewer to approve ${tool} (Countersign request ${requestId})`);
  };

  let result: ApprovalResult;
  try {
    const open = calls.open(fingerprint);
    if (open !== undefined) {
      waiting(open);
      result = await client.waitForDecision(open, { timeoutMs: waitMs, signal: extra.signal });
    } else {
      const context = { mcp: { server: name, tool } } as RequestContext;
      result = await client.requestApproval(
        { action, params: args, summary: summaryFor(tool, args), context },
        { idempotencyKey: calls.key(fingerprint), timeoutMs: waitMs, signal: extra.signal, onPending: (request) => waiting(request.id) },
      );
    }
  } catch (err) {
    return errorToolResult(err, {
      url: options.url,
      conflictHint: "Countersign already holds a different request under this call's key; call the tool again.",
    });
  } finally {
    stop();
  }

  const request = result.request;
  if (result.status === "pending") {
    calls.opened(fingerprint, request.id);
    return refusal(
      `PENDING: ${tool} needs approval and nobody has decided yet, so it was not called. Countersign request ${request.id} ` +
        `(action ${action}) waits for a reviewer until ${request.expires_at}.\n` +
        `Call ${tool} again with exactly the same arguments to keep waiting for this decision (changed arguments make a new request). Do not try another way meanwhile.`,
    );
  }
  calls.delivered(fingerprint, request.id);

  const reason = request.decision?.reason;
  const because = reason ? ` Reason: ${reason}` : "";
  switch (result.status) {
    case "denied":
      return refusal(
        `DENIED: ${tool} was not called. Countersign request ${request.id} (action ${action}) was denied by ${deciderOf(result)}.${because}\n` +
          "Do not try to achieve this another way; tell the user it was denied and why.",
      );
    case "expired":
      return refusal(
        `EXPIRED: ${tool} was not called. Nobody decided Countersign request ${request.id} (action ${action}) in time.${because}\n` +
          "If it is still needed, tell the user; calling again with the same arguments asks anew.",
      );
    case "cancelled":
      return refusal(`CANCELLED: ${tool} was not called. Countersign request ${request.id} (action ${action}) was cancelled.${because}`);
  }

  if (!result.grant.token) {
    return refusal(
      `NOT RUN: Countersign request ${request.id} for ${tool} was approved, but its grant can no longer be used ` +
        `(${result.grant.redeemed_at ? `already redeemed at ${result.grant.redeemed_at}` : "it expired or was revoked"}), so ${tool} was not called. ` +
        "Calling again with the same arguments asks anew.",
    );
  }

  // The grant is spent before the tool runs: the upstream sees only what Countersign approved, once.
  let approved: Record<string, unknown>;
  try {
    approved = (await client.redeemGrant(result.grant.token, { action, params: result.params })).params;
  } catch (err) {
    const refused = errorToolResult(err, { url: options.url });
    refused.content.unshift({
      type: "text",
      text: `NOT RUN: the approval of ${tool} (request ${request.id}) could not be redeemed, so ${tool} was not called.`,
    });
    return refused;
  }

  let upstreamResult: CallToolResult;
  try {
    upstreamResult = (await options.upstream.callTool({ ...params, name: tool, arguments: approved }, undefined, {
      signal: extra.signal,
      timeout: UPSTREAM_TIMEOUT_MS,
      resetTimeoutOnProgress: true,
      onprogress: (p) => progress.forward(p),
    })) as CallToolResult;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    await report(options, request.id, "failed", `The MCP server ${name} failed the call of ${tool}: ${message}`);
    return refusal(`FAILED: ${tool} was approved (request ${request.id}) and called, but the MCP server failed: ${message}`);
  }

  await report(
    options,
    request.id,
    upstreamResult.isError ? "failed" : "succeeded",
    upstreamResult.isError
      ? `${tool} returned an error: ${textOf(upstreamResult)}`
      : `${tool} returned ${upstreamResult.content?.length ?? 0} content item(s) from the MCP server ${name}.`,
  );

  if (!result.amended) return upstreamResult;
  // The upstream result stays as it is; the caller must learn it ran with other arguments than it asked for.
  const note =
    `Note from Countersign: ${request.amended_by ?? "a reviewer"} AMENDED the arguments before approving (request ${request.id}). ` +
    `${tool} ran with ${json(approved)}, not with what you asked for: ${json(result.original_params)}.`;
  return { ...upstreamResult, content: [...(upstreamResult.content ?? []), { type: "text", text: note }] };
}

function deciderOf(result: ApprovalResult): string {
  const by = result.request.decision?.by ?? "";
  if (by.startsWith("policy:")) return `policy (rule ${result.request.policy.name})`;
  if (by.startsWith("user:")) return "a reviewer";
  return by || "Countersign";
}

function textOf(result: CallToolResult): string {
  const text = (result.content ?? [])
    .map((c) => (c.type === "text" ? c.text : `[${c.type}]`))
    .join("\n")
    .trim();
  return Array.from(text || "(no text)")
    .slice(0, DETAIL_MAX - 200)
    .join("");
}

/** Reports the outcome; a report that cannot be sent must not change what the caller gets. */
async function report(options: GateOptions, requestId: string, status: "succeeded" | "failed", detail: string): Promise<void> {
  try {
    await options.client.reportOutcome(requestId, { status, detail: Array.from(detail).slice(0, DETAIL_MAX).join("") });
  } catch (err) {
    process.stderr.write(`countersign mcp-proxy: could not report the outcome of ${requestId}: ${err instanceof Error ? err.message : String(err)}\n`);
  }
}
