import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { getDefaultEnvironment, StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AutoReviewer } from "../support/auto-reviewer.ts";
import { createRule } from "../../lib/policy/rules.ts";
import { autoReviewerFor, baseUrl, decide, getRequest, newAgent, newUser, signIn, unique, type TestAgent } from "../support/fixtures.ts";
import { runCli } from "../support/run-cli.ts";

// `countersign mcp` as an MCP host runs it: a child process on stdio, spoken to
// with the MCP SDK's own client, against the real gateway over HTTP. The child
// gets no DATABASE_URL or app settings: it must be a pure client of the gateway.

const root = fileURLToPath(new URL("../..", import.meta.url));
const version = (JSON.parse(readFileSync(`${root}/package.json`, "utf8")) as { version: string }).version;

function serverEnv(vars: Record<string, string>): Record<string, string> {
  return { ...getDefaultEnvironment(), ...vars };
}

async function connect(key: string): Promise<Client> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: ["bin/countersign.mjs", "mcp", "--max-wait", "30"],
    cwd: root,
    env: serverEnv({ COUNTERSIGN_URL: baseUrl(), COUNTERSIGN_AGENT_KEY: key }),
    stderr: "pipe",
  });
  const client = new Client({ name: "countersign-test", version: "0.0.0" });
  await client.connect(transport);
  return client;
}

type ToolResult = CallToolResult & { structuredContent?: Record<string, any> };

function textOf(result: ToolResult): string {
  return result.content.map((c) => (c.type === "text" ? c.text : "")).join("\n");
}

describe("countersign mcp", () => {
  let agent: TestAgent;
  let reviewer: AutoReviewer;
  let mcp: Client;

  const call = async (name: string, args: Record<string, unknown>) => (await mcp.callTool({ name, arguments: args })) as ToolResult;

  const refund = (overrides: Record<string, unknown> = {}) => ({
    action: "payments.refund",
    resource: "customer:cus_123",
    params: { amount: 120, currency: "USD", nonce: unique("n") },
    summary: "Refund $120 to customer cus_123 for a duplicate charge",
    justification: "Ticket #4521: charged twice",
    context: { task_id: "ticket-4521", on_behalf_of: "alice@example.com" },
    ...overrides,
  });

  beforeAll(async () => {
    agent = await newAgent();
    reviewer = await autoReviewerFor(agent);
    mcp = await connect(agent.key);
  });

  afterAll(async () => {
    await mcp?.close();
    await reviewer?.stop();
  });

  it("introduces itself and lists the four tools with schemas and descriptions", async () => {
    expect(mcp.getServerVersion()).toMatchObject({ name: "countersign", version });
    expect(mcp.getInstructions()).toMatch(/request_approval.*redeem_grant.*report_outcome/s);

    const { tools } = await mcp.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(["check_approval", "redeem_grant", "report_outcome", "request_approval"]);
    for (const tool of tools) {
      expect(tool.description!.length).toBeGreaterThan(100);
      expect(tool.inputSchema.type).toBe("object");
      expect(tool.outputSchema?.type).toBe("object");
    }
    const request = tools.find((t) => t.name === "request_approval")!;
    expect(request.inputSchema.required).toEqual(expect.arrayContaining(["action", "summary"]));
    const props = request.inputSchema.properties as Record<string, any>;
    expect(props.action).toMatchObject({ type: "string", maxLength: 128, pattern: "^[a-z0-9][a-z0-9_.:-]*$" });
    expect(props.summary).toMatchObject({ minLength: 1, maxLength: 500 });
    expect(props.justification).toMatchObject({ maxLength: 4000 });
    expect(props.wait_seconds.description).toContain("30");
    const redeem = tools.find((t) => t.name === "redeem_grant")!;
    expect(redeem.inputSchema.required).toEqual(expect.arrayContaining(["token", "action", "params"]));
  });

  it("approved: grant token, redeem once, report the outcome", async () => {
    const args = refund();
    const approved = await call("request_approval", args);
    expect(approved.isError).toBeFalsy();
    const out = approved.structuredContent!;
    expect(out).toMatchObject({ status: "approved", action: "payments.refund", resource: "customer:cus_123", reason: "Approved by the test reviewer" });
    expect(out.request_id).toMatch(/^req_/);
    expect(out.grant.token).toEqual(expect.any(String));
    expect(textOf(approved)).toContain(out.grant.token);
    expect(textOf(approved)).toMatch(/redeem_grant/);

    // A retried call (same arguments) finds the same request instead of making another.
    const retried = await call("request_approval", { ...args, wait_seconds: 0 });
    expect(retried.structuredContent).toMatchObject({ status: "approved", request_id: out.request_id });

    const redeemed = await call("redeem_grant", { token: out.grant.token, action: args.action, params: args.params });
    expect(redeemed.isError).toBeFalsy();
    expect(redeemed.structuredContent).toMatchObject({ request_id: out.request_id, grant_id: out.grant.id, agent_id: agent.agentId, params: args.params });

    const again = await call("redeem_grant", { token: out.grant.token, action: args.action, params: args.params });
    expect(again.isError).toBe(true);
    expect(textOf(again)).toContain("grant_already_redeemed");

    const reported = await call("report_outcome", { request_id: out.request_id, status: "succeeded", detail: "Refund re_123 created" });
    expect(reported.isError).toBeFalsy();
    expect(reported.structuredContent).toMatchObject({ request_id: out.request_id, outcome: { status: "succeeded", detail: "Refund re_123 created" } });
    expect((await getRequest(agent, out.request_id)).outcome).toMatchObject({ status: "succeeded", detail: "Refund re_123 created" });

    const twice = await call("report_outcome", { request_id: out.request_id, status: "failed" });
    expect(twice.isError).toBe(true);
    expect(textOf(twice)).toContain("conflict");

    // Once that approval is used up, the same arguments are a new question, not a retry.
    const next = await call("request_approval", args);
    expect(next.structuredContent).toMatchObject({ status: "approved" });
    expect(next.structuredContent!.request_id).not.toBe(out.request_id);
  });

  it("amended: says a reviewer changed the params and gives the approved ones, which redeem", async () => {
    await createRule({
      definition: {
        name: unique("mcp-amend"),
        agents: { names: [agent.name] },
        actions: ["payments.partial_refund"],
        effect: "require_approval",
        reviewers_may_edit: ["amount"],
      },
      actor: "test",
    });
    const args = refund({ action: "payments.partial_refund", context: { labels: { test_amend: JSON.stringify({ amount: 80 }) } } });
    const approved = await call("request_approval", args);
    const out = approved.structuredContent!;
    expect(out).toMatchObject({ status: "approved", amended: true, params: { ...args.params, amount: 80 }, original_params: args.params });
    expect(out.amended_by).toMatch(/@/);
    expect(textOf(approved)).toContain("AMENDED by");
    expect(textOf(approved)).toContain(JSON.stringify(out.params));
    expect(out.next_step).toMatch(/AMENDED/);

    const mismatch = await call("redeem_grant", { token: out.grant.token, action: args.action, params: args.params });
    expect(mismatch.isError).toBe(true);
    expect(textOf(mismatch)).toContain("grant_mismatch");
    const redeemed = await call("redeem_grant", { token: out.grant.token, action: args.action, params: out.params });
    expect(redeemed.isError).toBeFalsy();
  });

  it("denied: the reason, and an instruction not to act", async () => {
    const denied = await call("request_approval", refund({ context: { labels: { test_decision: "deny" } } }));
    expect(denied.isError).toBeFalsy();
    expect(denied.structuredContent).toMatchObject({ status: "denied", reason: "Denied by the test reviewer", grant: null });
    expect(textOf(denied)).toMatch(/DENIED[\s\S]*Denied by the test reviewer[\s\S]*Do not perform this action/);
  });

  it("pending: hands back the request, which check_approval picks up once a reviewer decides", async () => {
    const progress: unknown[] = [];
    const pending = (await mcp.callTool(
      { name: "request_approval", arguments: refund({ context: { labels: { test_decision: "wait" } }, wait_seconds: 1 }) },
      undefined,
      { onprogress: (p) => void progress.push(p) },
    )) as ToolResult;
    expect(pending.isError).toBeFalsy();
    const id = pending.structuredContent!.request_id as string;
    expect(pending.structuredContent).toMatchObject({ status: "pending", grant: null });
    expect(textOf(pending)).toContain(`check_approval with it`);
    expect(textOf(pending)).toContain(id);
    // Clients that asked for progress hear that the call is alive while it waits.
    expect(progress.length).toBeGreaterThan(0);

    const still = await call("check_approval", { request_id: id, wait_seconds: 0 });
    expect(still.structuredContent).toMatchObject({ status: "pending", request_id: id });

    const person = await signIn(await newUser("reviewer"));
    expect((await decide(person, id, "approve", "Looks right")).status).toBe(200);

    const decided = await call("check_approval", { request_id: id });
    expect(decided.structuredContent).toMatchObject({ status: "approved", request_id: id, reason: "Looks right" });
    expect(decided.structuredContent!.grant.token).toEqual(expect.any(String));
  });

  it("refuses invalid arguments in the tool schema, and surfaces the gateway's refusals as tool errors", async () => {
    const badAction = await call("request_approval", refund({ action: "Payments Refund!" }));
    expect(badAction.isError).toBe(true);
    expect(textOf(badAction)).toMatch(/validation error/i);
    expect(textOf(badAction)).toContain("action");

    const longSummary = await call("request_approval", refund({ summary: "x".repeat(501) }));
    expect(longSummary.isError).toBe(true);
    expect(textOf(longSummary)).toContain("summary");

    const typo = await call("request_approval", { ...refund(), justificaton: "typo" });
    expect(typo.isError).toBe(true);

    const labels = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`l${i}`, "x"]));
    const gatewaySays = await call("request_approval", refund({ context: { labels } }));
    expect(gatewaySays.isError).toBe(true);
    expect(textOf(gatewaySays)).toContain("validation_failed");
    expect(textOf(gatewaySays)).toContain("labels");

    const unknown = await call("check_approval", { request_id: "req_doesnotexist", wait_seconds: 0 });
    expect(unknown.isError).toBe(true);
    expect(textOf(unknown)).toContain("not_found");
  });

  it("tells the model when the gateway refuses its key", async () => {
    const stranger = await connect(`csk_${"a".repeat(12)}_${"b".repeat(43)}`);
    try {
      const refused = await stranger.callTool({ name: "request_approval", arguments: refund() });
      expect(refused.isError).toBe(true);
      expect(textOf(refused as ToolResult)).toContain("unauthenticated");
    } finally {
      await stranger.close();
    }
  });

  it("will not start without a gateway URL and an agent key, and says why on stderr", async () => {
    const missing = await runCli(["mcp"], serverEnv({}));
    expect(missing.code).not.toBe(0);
    expect(missing.stdout).toBe("");
    expect(missing.stderr).toContain("COUNTERSIGN_URL is not set");
    expect(missing.stderr).toContain("COUNTERSIGN_AGENT_KEY is not set");

    const malformed = await runCli(["mcp"], serverEnv({ COUNTERSIGN_URL: "ftp://example.test", COUNTERSIGN_AGENT_KEY: "sk-secret-value" }));
    expect(malformed.code).not.toBe(0);
    expect(malformed.stdout).toBe("");
    expect(malformed.stderr).toContain("COUNTERSIGN_URL is not an http(s) URL");
    expect(malformed.stderr).toContain("COUNTERSIGN_AGENT_KEY is not an agent key");
    expect(malformed.stderr).not.toContain("sk-secret-value");
  });
});
