import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { getDefaultEnvironment, StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { CallToolResult, Progress } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRule } from "../../lib/policy/rules.ts";
import { agentFetch, baseUrl, getRequest, newAgent, newUser, reviewerFetch, signIn, unique, type TestAgent } from "../support/fixtures.ts";
import { startHttpUpstream, type HttpUpstream } from "../support/mcp-upstream-http.ts";
import type { UpstreamCall } from "../support/mcp-upstream.ts";
import { runCli } from "../support/run-cli.ts";

// `countersign mcp-proxy` as an MCP host runs it: a child process on stdio,
// spoken to with the MCP SDK's own client, in front of real upstream MCP
// servers (one it spawns on stdio, one over Streamable HTTP), asking the real
// gateway over HTTP. A reviewer decides through the public decision endpoint.

const root = fileURLToPath(new URL("../..", import.meta.url));
const upstreamCommand = [process.execPath, "bin/run-ts.mjs", "test/support/mcp-upstream-stdio.ts"];

type ToolResult = CallToolResult;

const textOf = (result: ToolResult) => result.content.map((c) => (c.type === "text" ? c.text : "")).join("\n");
const requestIdIn = (text: string) => /req_[A-Za-z0-9]+/.exec(text)?.[0];

/** What each proxy wrote to stderr (its log), by client. */
const logs = new WeakMap<Client, { text: string }>();

async function connectProxy(args: string[], key: string, extraEnv: Record<string, string> = {}): Promise<Client> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: ["bin/countersign.mjs", "mcp-proxy", ...args],
    cwd: root,
    env: { ...getDefaultEnvironment(), COUNTERSIGN_URL: baseUrl(), COUNTERSIGN_AGENT_KEY: key, ...extraEnv },
    stderr: "pipe",
  });
  const client = new Client({ name: "mcp-proxy-test", version: "0.0.0" });
  const log = { text: "" };
  transport.stderr?.on("data", (d) => (log.text += d));
  logs.set(client, log);
  await client.connect(transport);
  return client;
}

async function connectDirect(transportArgs: { command: string; args: string[]; env: Record<string, string> }): Promise<Client> {
  const client = new Client({ name: "mcp-proxy-test-direct", version: "0.0.0" });
  await client.connect(new StdioClientTransport({ ...transportArgs, cwd: root, stderr: "pipe" }));
  return client;
}

/** Calls a tool; resolves `requestId` with the Countersign request the first progress notification names. */
function callWithProgress(client: Client, name: string, args: Record<string, unknown>) {
  const progress: Progress[] = [];
  let named!: (id: string) => void;
  const requestId = new Promise<string>((resolve) => (named = resolve));
  const result = client.callTool({ name, arguments: args }, undefined, {
    timeout: 60_000,
    onprogress: (p) => {
      progress.push(p);
      const id = requestIdIn(p.message ?? "");
      if (id) named(id);
    },
  }) as Promise<ToolResult>;
  return { result, requestId, progress };
}

/** Every request of this agent for `action`, newest first. */
async function requestsFor(agent: TestAgent, action: string): Promise<any[]> {
  const res = await agentFetch(agent.key, "/api/v1/requests?limit=100");
  expect(res.status).toBe(200);
  return ((await res.json()) as { data: any[] }).data.filter((r) => r.action === action);
}

describe("countersign mcp-proxy", () => {
  let agent: TestAgent;
  let reviewer: string;
  let workDir: string;
  let stdioLog: string;
  let http: HttpUpstream;
  /** In front of the stdio upstream, as `files`, waiting up to 30 s per call. */
  let files: Client;
  /** In front of the HTTP upstream, as `bank`, waiting 1 s per call. */
  let bank: Client;

  const stdioCalls = (): UpstreamCall[] =>
    readFileSync(stdioLog, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line))
      .filter((entry) => "tool" in entry);

  const approve = (id: string, params?: Record<string, unknown>) =>
    reviewerFetch(reviewer, `/api/v1/requests/${id}/decisions`, {
      method: "POST",
      json: { decision: "approve", reason: "Fine by me", ...(params && { params }) },
    });
  const deny = (id: string) =>
    reviewerFetch(reviewer, `/api/v1/requests/${id}/decisions`, { method: "POST", json: { decision: "deny", reason: "Not this account" } });

  beforeAll(async () => {
    agent = await newAgent();
    reviewer = await signIn(await newUser("reviewer"));
    workDir = path.join(tmpdir(), unique("mcp-proxy-test"));
    mkdirSync(workDir, { recursive: true });
    stdioLog = path.join(workDir, "upstream.jsonl");
    writeFileSync(stdioLog, "");

    const mine = { names: [agent.name] };
    // Reviewers may lower a transfer; the bank's echo and broken tools need nobody.
    await createRule({
      definition: { name: unique("proxy-amend"), agents: mine, actions: ["mcp.files.transfer"], effect: "require_approval", reviewers_may_edit: ["amount"] },
      position: 0,
      actor: "test",
    });
    await createRule({
      definition: { name: unique("proxy-allow"), agents: mine, actions: ["mcp.bank.echo", "mcp.bank.broken"], effect: "allow" },
      position: 0,
      actor: "test",
    });

    http = await startHttpUpstream();
    [files, bank] = await Promise.all([
      connectProxy(["--name", "files", "--max-wait", "30", "--", ...upstreamCommand], agent.key, { MCP_UPSTREAM_LOG: stdioLog }),
      connectProxy(["--name", "bank", "--max-wait", "1", "--upstream-url", http.url, "--upstream-header", "Authorization: Bearer upstream-secret"], agent.key),
    ]);
  });

  afterAll(async () => {
    await files?.close();
    await bank?.close();
    await http?.close();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  it("offers the upstream's tools unchanged, and passes resources and prompts through", async () => {
    const direct = await connectDirect({
      command: upstreamCommand[0],
      args: upstreamCommand.slice(1),
      env: { ...getDefaultEnvironment(), MCP_UPSTREAM_LOG: path.join(workDir, "direct.jsonl") },
    });
    try {
      const expected = (await direct.listTools()).tools;
      expect(expected.map((t) => t.name).sort()).toEqual(["broken", "createIssue", "echo", "transfer"]);
      expect((await files.listTools()).tools).toEqual(expected);
      expect((await bank.listTools()).tools).toEqual(expected);
      const transfer = expected.find((t) => t.name === "transfer")!;
      expect(transfer).toMatchObject({ title: "Transfer money", description: "Moves pretend money to an account.", annotations: { destructiveHint: true } });

      expect((await files.listResources()).resources).toEqual((await direct.listResources()).resources);
      expect(await files.readResource({ uri: "memo://readme" })).toEqual(await direct.readResource({ uri: "memo://readme" }));
      expect((await files.listPrompts()).prompts).toEqual((await direct.listPrompts()).prompts);
      expect(await files.getPrompt({ name: "greet", arguments: { who: "Ada" } })).toEqual(await direct.getPrompt({ name: "greet", arguments: { who: "Ada" } }));
    } finally {
      await direct.close();
    }
    expect(files.getInstructions()).toMatch(/A test server that moves pretend money[\s\S]*Countersign/);
    // The upstream command never receives the agent's key.
    const started = readFileSync(stdioLog, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l))
      .find((e) => e.started);
    expect(started).toEqual({ started: true, agent_key_seen: false });
    // The HTTP upstream receives the header the proxy was told to send.
    expect(http.authorizations).toContain("Bearer upstream-secret");
  });

  it("approved: asks as mcp.NAME.TOOL, reaches the upstream with exactly the arguments, reports success, with progress while waiting", async () => {
    const args = { amount: 120, to: "acct_42", memo: unique("m") };
    const call = callWithProgress(files, "transfer", args);
    const id = await call.requestId;

    const pending = await getRequest(agent, id);
    expect(pending).toMatchObject({ status: "pending", action: "mcp.files.transfer", params: args, context: { mcp: { server: "files", tool: "transfer" } } });
    expect(pending.summary).toBe(`transfer(amount: 120, memo: ${JSON.stringify(args.memo)}, to: "acct_42")`);
    expect(stdioCalls()).toEqual([]);

    expect((await approve(id)).status).toBe(200);
    const result = await call.result;
    expect(result.isError).toBeFalsy();
    expect(result.content).toEqual([{ type: "text", text: "Transferred 120 to acct_42" }]);
    expect(call.progress.length).toBeGreaterThan(0);
    expect(call.progress[0].message).toContain(id);

    expect(stdioCalls()).toEqual([{ tool: "transfer", arguments: args }]);
    const done = await getRequest(agent, id);
    expect(done.grant.redeemed_at).toEqual(expect.any(String));
    expect(done.outcome).toMatchObject({ status: "succeeded" });
  });

  it("amended: the upstream runs the amended arguments, and the result says so after the upstream's own content", async () => {
    const asked = { amount: 900, to: "acct_7" };
    const call = callWithProgress(files, "transfer", asked);
    const id = await call.requestId;
    expect((await approve(id, { ...asked, amount: 400 })).status).toBe(200);
    const result = await call.result;
    expect(result.isError).toBeFalsy();
    expect(result.content[0]).toEqual({ type: "text", text: "Transferred 400 to acct_7" });
    expect(result.content).toHaveLength(2);
    expect(textOf(result)).toMatch(/AMENDED[\s\S]*\{"amount":400,"to":"acct_7"\}[\s\S]*\{"amount":900,"to":"acct_7"\}/);
    expect(stdioCalls().at(-1)).toEqual({ tool: "transfer", arguments: { amount: 400, to: "acct_7" } });
    expect((await getRequest(agent, id)).outcome).toMatchObject({ status: "succeeded" });
  });

  it("denied: an error naming the decision and the reason, and the upstream never sees the call", async () => {
    const before = stdioCalls().length;
    const args = { amount: 5, to: "acct_evil" };
    const call = callWithProgress(files, "transfer", args);
    const id = await call.requestId;
    expect((await deny(id)).status).toBe(200);
    const result = await call.result;
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/DENIED/);
    expect(textOf(result)).toContain("Not this account");
    expect(textOf(result)).toContain(id);
    expect(stdioCalls()).toHaveLength(before);
    expect(stdioCalls().some((c) => c.arguments.to === "acct_evil")).toBe(false);

    // After the caller has seen the denial, the same call asks anew.
    const again = callWithProgress(files, "transfer", args);
    const second = await again.requestId;
    expect(second).not.toBe(id);
    expect((await deny(second)).status).toBe(200);
    expect((await again.result).isError).toBe(true);
    expect(stdioCalls()).toHaveLength(before);
  });

  it("maps a tool name that is not an action segment deterministically", async () => {
    const call = callWithProgress(files, "createIssue", { title: "Broken build" });
    const id = await call.requestId;
    const request = await getRequest(agent, id);
    expect(request.action).toMatch(/^mcp\.files\.createissue-[0-9a-f]{8}$/);
    expect(request.context.mcp).toEqual({ server: "files", tool: "createIssue" });
    expect(request.summary).toBe('createIssue(title: "Broken build")');
    // The proxy's log tells the admin which action each tool became.
    expect(logs.get(files)!.text).toContain(`createIssue → ${request.action}`);
    expect(logs.get(files)!.text).toContain("transfer → mcp.files.transfer");
    expect((await approve(id)).status).toBe(200);
    expect((await call.result).content).toEqual([{ type: "text", text: 'Filed "Broken build"' }]);
  });

  it("an unknown tool asks nobody and reaches nothing", async () => {
    const result = (await files.callTool({ name: "drop_everything", arguments: {} })) as ToolResult;
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain("no such tool");
    expect(await requestsFor(agent, "mcp.files.drop_everything")).toEqual([]);
  });

  it("over HTTP: a call allowed by policy reaches the upstream with exactly its arguments", async () => {
    const text = unique("hello");
    const result = (await bank.callTool({ name: "echo", arguments: { text } })) as ToolResult;
    expect(result.isError).toBeFalsy();
    expect(result.content).toEqual([{ type: "text", text }]);
    expect(http.calls.filter((c) => c.tool === "echo")).toEqual([{ tool: "echo", arguments: { text } }]);
    const [request] = await requestsFor(agent, "mcp.bank.echo");
    expect(request).toMatchObject({ status: "approved", params: { text }, context: { mcp: { server: "bank", tool: "echo" } } });
    expect(request.outcome).toMatchObject({ status: "succeeded" });
  });

  it("an upstream error is returned as it is and reported as failed", async () => {
    const result = (await bank.callTool({ name: "broken", arguments: { reason: "sector 7" } })) as ToolResult;
    expect(result.isError).toBe(true);
    expect(result.content).toEqual([{ type: "text", text: "Disk full: sector 7" }]);
    expect(http.calls.filter((c) => c.tool === "broken")).toEqual([{ tool: "broken", arguments: { reason: "sector 7" } }]);
    const [request] = await requestsFor(agent, "mcp.bank.broken");
    expect(request.status).toBe("approved");
    expect(request.outcome).toMatchObject({ status: "failed" });
    expect(request.outcome.detail).toContain("Disk full: sector 7");
  });

  it("pending past --max-wait: an error with the request id; the same call again continues that request, and after it ran asks anew", async () => {
    const args = { amount: 77, to: "acct_slow" };
    const progress: Progress[] = [];
    const first = (await bank.callTool({ name: "transfer", arguments: args }, undefined, { onprogress: (p) => void progress.push(p) })) as ToolResult;
    expect(first.isError).toBe(true);
    expect(textOf(first)).toMatch(/PENDING/);
    expect(textOf(first)).toMatch(/again with exactly the same arguments/);
    const id = requestIdIn(textOf(first))!;
    expect(id).toBeDefined();
    expect(progress.length).toBeGreaterThan(0);
    expect(http.calls.filter((c) => c.tool === "transfer")).toEqual([]);

    // Still undecided: the repeat waits on the same request instead of asking again.
    const second = (await bank.callTool({ name: "transfer", arguments: args })) as ToolResult;
    expect(requestIdIn(textOf(second))).toBe(id);
    expect(await requestsFor(agent, "mcp.bank.transfer")).toHaveLength(1);

    expect((await approve(id)).status).toBe(200);
    const third = (await bank.callTool({ name: "transfer", arguments: args })) as ToolResult;
    expect(third.isError).toBeFalsy();
    expect(third.content).toEqual([{ type: "text", text: "Transferred 77 to acct_slow" }]);
    expect(http.calls.filter((c) => c.tool === "transfer")).toEqual([{ tool: "transfer", arguments: args }]);
    expect((await getRequest(agent, id)).outcome).toMatchObject({ status: "succeeded" });

    // That approval is used: the same arguments now make a new request.
    const fourth = (await bank.callTool({ name: "transfer", arguments: args })) as ToolResult;
    expect(fourth.isError).toBe(true);
    const next = requestIdIn(textOf(fourth));
    expect(next).toBeDefined();
    expect(next).not.toBe(id);
    expect(await requestsFor(agent, "mcp.bank.transfer")).toHaveLength(2);
    expect(http.calls.filter((c) => c.tool === "transfer")).toHaveLength(1);
  });

  it("refuses a name that cannot be an action segment, and a missing upstream, before starting", async () => {
    const env = { ...getDefaultEnvironment(), COUNTERSIGN_URL: baseUrl(), COUNTERSIGN_AGENT_KEY: agent.key };
    const bad = await runCli(["mcp-proxy", "--name", "My.Server", "--", ...upstreamCommand], env);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe("");
    expect(bad.stderr).toContain('--name "My.Server" is refused');
    expect(bad.stderr).toContain("mcp.NAME.TOOL");

    const none = await runCli(["mcp-proxy", "--name", "files"], env);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain("no upstream MCP server");
  });
});
