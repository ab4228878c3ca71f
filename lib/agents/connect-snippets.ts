/**
 * The copy-paste snippets of the console's "Connect an agent" view: curl,
 * TypeScript, Python, an MCP host config and the environment block, filled
 * with one agent's id and name and the gateway's public URL.
 *
 * Pure text generation, no I/O: the console renders these in the browser
 * from what it already holds, so a freshly issued key never travels back to
 * the server to be put into a snippet.
 *
 * Everything interpolated is treated as hostile, even though agent names and
 * the public URL are validated elsewhere: an admin pastes these into a shell
 * or a source file, so a quote or a newline in a value must never become
 * code. Shell values are single-quoted, string literals are JSON-escaped
 * (valid in TypeScript, Python and JSON alike), and comment text is reduced
 * to a single line.
 */

/** What the admin types in place of a key that can no longer be shown. */
export const KEY_PLACEHOLDER = "csk_…";
/** What the admin replaces with the id that step 1 printed. */
export const REQUEST_ID_PLACEHOLDER = "req_…";
/** What the admin replaces with `grant.token` from step 2. */
export const GRANT_TOKEN_PLACEHOLDER = "eyJ…";

/** The example every snippet asks for, the same one as the API reference. */
export const EXAMPLE_ACTION = "payments.refund";
export const EXAMPLE_RESOURCE = "customer:cus_123";
export const EXAMPLE_PARAMS: Readonly<Record<string, unknown>> = Object.freeze({ amount: 500, currency: "USD" });
export const EXAMPLE_SUMMARY = "Refund $500 to customer cus_123";

export interface ConnectTarget {
  /** The gateway's public URL (COUNTERSIGN_PUBLIC_URL), without a trailing slash. */
  url: string;
  agentId: string;
  agentName: string;
  /** The agent's key while it is still known (right after it was issued); null afterwards. */
  agentKey: string | null;
}

export type SnippetLanguage = "shell" | "typescript" | "python" | "json" | "yaml";

export interface Snippet {
  /** Stable identifier (tests and copy buttons refer to it). */
  id: string;
  title: string;
  language: SnippetLanguage;
  code: string;
  /** One sentence under the title, plain text. */
  note?: string;
}

export interface ConnectSnippets {
  /** `export COUNTERSIGN_URL=… COUNTERSIGN_AGENT_KEY=…`, what the SDKs and `countersign mcp` read. */
  env: Snippet;
  curl: Snippet[];
  typescript: Snippet[];
  python: Snippet[];
  mcp: Snippet[];
  /** `countersign mcp-proxy` in front of an existing MCP server, and rules for its tools. */
  mcpGateway: Snippet[];
}

const SHELL_SAFE = /^[A-Za-z0-9_@%+:,./-]+$/;

/**
 * One shell word that stands for exactly `value` in POSIX sh and bash: bare
 * when it holds only characters no shell treats specially, otherwise
 * single-quoted, a single quote becoming '\''.
 */
export function shellQuote(value: string): string {
  if (SHELL_SAFE.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * A shell word for `prefix`, then the value of shell variable `name`, then
 * `suffix`. Double-quoted when the literal parts cannot be read as anything
 * but text inside double quotes (no $ ` " \ or ! for bash's history
 * expansion), so the common case stays readable; pieced together from
 * single-quoted parts otherwise.
 */
export function shellWordWithVariable(prefix: string, name: string, suffix: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`not a shell variable name: ${name}`);
  const plain = /^[^$`"\\!\n\r]*$/;
  if (plain.test(prefix) && plain.test(suffix)) return `"${prefix}\${${name}}${suffix}"`;
  return `${prefix ? shellQuote(prefix) : ""}"\${${name}}"${suffix ? shellQuote(suffix) : ""}`;
}

/** A string literal that TypeScript, JavaScript, Python and JSON all read as `value`. */
export function stringLiteral(value: string): string {
  // JSON.stringify leaves U+2028/U+2029 raw; escape them so no reader can see a line break.
  return JSON.stringify(value)
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

/** Text safe to put after a line comment marker: one line, no control characters. */
export function commentText(value: string): string {
  return value.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, " ").trim();
}

/** A JSON value as a Python literal (the example parameters: objects, strings, numbers, booleans). */
function pythonLiteral(value: unknown): string {
  if (value === null) return "None";
  if (value === true) return "True";
  if (value === false) return "False";
  if (typeof value === "string") return stringLiteral(value);
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : "None";
  if (Array.isArray(value)) return `[${value.map(pythonLiteral).join(", ")}]`;
  if (typeof value === "object") {
    return `{${Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => `${stringLiteral(k)}: ${pythonLiteral(v)}`)
      .join(", ")}}`;
  }
  return "None";
}

/** A JSON value as a TypeScript object literal, with bare keys where they are identifiers. */
function typescriptLiteral(value: unknown): string {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    const entries = Object.entries(value as Record<string, unknown>).map(
      ([k, v]) => `${/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(k) ? k : stringLiteral(k)}: ${typescriptLiteral(v)}`,
    );
    return entries.length ? `{ ${entries.join(", ")} }` : "{}";
  }
  if (Array.isArray(value)) return `[${value.map(typescriptLiteral).join(", ")}]`;
  return JSON.stringify(value) ?? "null";
}

/** The body of the example request, as an agent would send it. */
export function exampleRequestBody(): Record<string, unknown> {
  return {
    action: EXAMPLE_ACTION,
    resource: EXAMPLE_RESOURCE,
    params: { ...EXAMPLE_PARAMS },
    summary: EXAMPLE_SUMMARY,
    justification: "Ticket #4521: charged twice for the same order.",
    context: { task_id: "ticket-4521", on_behalf_of: "alice@example.com" },
  };
}

/** JSON on one line with a space after each separator: `{ "amount": 500, "currency": "USD" }`. */
function compactJson(value: unknown): string {
  // Only the structural line breaks are replaced: those inside strings are escaped by JSON.stringify.
  return JSON.stringify(value, null, 1).replace(/\n\s*/g, " ");
}

/** An object as a JSON block for `curl -d`: one member a line, indented to sit under `-d`. */
function jsonBlock(value: Record<string, unknown>): string {
  const members = Object.entries(value).map(([k, v]) => `    ${JSON.stringify(k)}: ${compactJson(v)}`);
  return `{\n${members.join(",\n")}\n  }`;
}

function normaliseUrl(url: string): string {
  return url.replace(/\/+$/, "");
}

/** Whose snippet this is, for a comment line: `billing-agent (agt_…)`. */
function who(t: ConnectTarget): string {
  return commentText(`${t.agentName} (${t.agentId})`);
}

function envSnippet(t: ConnectTarget, url: string): Snippet {
  const key = t.agentKey ?? KEY_PLACEHOLDER;
  const lines = [
    `# Countersign, for agent ${who(t)}`,
    `export COUNTERSIGN_URL=${shellQuote(url)}`,
    `export COUNTERSIGN_AGENT_KEY=${shellQuote(key)}${t.agentKey ? "" : "  # paste the agent's key here"}`,
  ];
  return {
    id: "env",
    title: "Environment",
    language: "shell",
    code: lines.join("\n"),
    note: "The SDKs and the MCP server read these two variables.",
  };
}

function curlSnippets(t: ConnectTarget, url: string): Snippet[] {
  // With the key at hand the commands carry it, so each runs as pasted; without it they read the environment.
  const auth = t.agentKey ? shellQuote(`Authorization: Bearer ${t.agentKey}`) : `"Authorization: Bearer \${COUNTERSIGN_AGENT_KEY}"`;
  const body = jsonBlock(exampleRequestBody());
  const create = [
    `# Ask for approval as ${who(t)}`,
    `curl -sS -X POST ${shellQuote(`${url}/api/v1/requests`)} \\`,
    `  -H ${auth} \\`,
    `  -H 'Content-Type: application/json' \\`,
    `  -d ${shellQuote(body)}`,
  ];
  const wait = [
    `REQUEST_ID=${shellQuote(REQUEST_ID_PLACEHOLDER)}  # the "id" from step 1`,
    `# Answers when a reviewer decides, or after 60 s (then ask again)`,
    `curl -sS ${shellWordWithVariable(`${url}/api/v1/requests/`, "REQUEST_ID", "?wait=60")} \\`,
    `  -H ${auth}`,
  ];
  const redeem = [
    `GRANT_TOKEN=${shellQuote(GRANT_TOKEN_PLACEHOLDER)}  # "grant"."token" from step 2`,
    `# The executor redeems it, once; no agent key needed`,
    `curl -sS -X POST ${shellQuote(`${url}/api/v1/grants/redeem`)} \\`,
    `  -H 'Content-Type: application/json' \\`,
    // The token is spliced into the JSON between two single-quoted halves; a JWT holds no characters JSON must escape.
    `  -d '{`,
    `    "token": "'"\${GRANT_TOKEN}"'",`,
    `    "action": ${compactJson(EXAMPLE_ACTION)},`,
    `    "params": ${compactJson(EXAMPLE_PARAMS)}`,
    `  }'`,
  ];
  return [
    {
      id: "curl-create",
      title: "1. Ask for approval",
      language: "shell",
      code: create.join("\n"),
      note: "Answers 201 with the request's id and status: pending, or already approved or denied when a policy rule decides.",
    },
    {
      id: "curl-wait",
      title: "2. Wait for the decision",
      language: "shell",
      code: wait.join("\n"),
      note: "Holds the call up to 60 s and answers the moment a reviewer decides. Once approved, it carries grant.token.",
    },
    {
      id: "curl-redeem",
      title: "3. Redeem the grant",
      language: "shell",
      code: redeem.join("\n"),
      note: "The executor's side: 200 the first time, for exactly the approved action and parameters; 409 grant_already_redeemed after that.",
    },
  ];
}

function typescriptSnippets(t: ConnectTarget): Snippet[] {
  const action = stringLiteral(EXAMPLE_ACTION);
  const params = typescriptLiteral(EXAMPLE_PARAMS);
  const request = [
    `import { Countersign } from "@countersign/sdk";`,
    ``,
    `// Agent ${who(t)}`,
    `const countersign = new Countersign(); // reads COUNTERSIGN_URL and COUNTERSIGN_AGENT_KEY`,
    ``,
    `// Asks, then waits for the decision.`,
    `const result = await countersign.requestApproval({`,
    `  action: ${action},`,
    `  resource: ${stringLiteral(EXAMPLE_RESOURCE)},`,
    `  params: ${params},`,
    `  summary: ${stringLiteral(EXAMPLE_SUMMARY)},`,
    `});`,
    ``,
    // token is null only when the grant was already used or lapsed before this read.
    `if (result.status === "approved" && result.grant.token) {`,
    `  // Redeem once, for exactly what was approved; then act.`,
    `  await countersign.redeemGrant(result.grant.token, {`,
    `    action: ${action},`,
    `    params: ${params},`,
    `  });`,
    `  // … issue the refund here`,
    `}`,
  ];
  const guard = [
    `// The wrapped function runs only once a reviewer has approved this exact call.`,
    `const refund = countersign.guard(`,
    `  ${action},`,
    `  async (customer: string, amount: number) => {`,
    `    // … issue the refund here`,
    `  },`,
    "  (customer, amount) => ({",
    "    summary: `Refund $${amount} to ${customer}`,",
    "    resource: `customer:${customer}`,",
    "    params: { amount },",
    "  }),",
    `);`,
    ``,
    `await refund("cus_123", 500);`,
  ];
  return [
    { id: "ts-install", title: "Install", language: "shell", code: "npm install @countersign/sdk" },
    { id: "ts-request", title: "Ask, wait, redeem", language: "typescript", code: request.join("\n") },
    { id: "ts-guard", title: "Or guard a function", language: "typescript", code: guard.join("\n") },
  ];
}

function pythonSnippets(t: ConnectTarget): Snippet[] {
  const action = stringLiteral(EXAMPLE_ACTION);
  const params = pythonLiteral(EXAMPLE_PARAMS);
  const request = [
    `from countersign import Client`,
    ``,
    `# Agent ${who(t)}`,
    `client = Client()  # reads COUNTERSIGN_URL and COUNTERSIGN_AGENT_KEY`,
    ``,
    `# Asks, then waits for the decision.`,
    `result = client.request_approval(`,
    `    action=${action},`,
    `    summary=${stringLiteral(EXAMPLE_SUMMARY)},`,
    `    resource=${stringLiteral(EXAMPLE_RESOURCE)},`,
    `    params=${params},`,
    `)`,
    ``,
    `if result.approved:`,
    `    # Redeem once, for exactly what was approved; then act.`,
    `    client.redeem_grant(`,
    `        result.grant["token"],`,
    `        action=${action},`,
    `        params=${params},`,
    `    )`,
    `    # … issue the refund here`,
  ];
  const guard = [
    `# The decorated function runs only once a reviewer has approved this exact call.`,
    `@client.guard(`,
    `    ${action},`,
    `    describe=lambda customer, amount: {`,
    `        "summary": f"Refund \${amount} to {customer}",`,
    `        "resource": f"customer:{customer}",`,
    `        "params": {"amount": amount},`,
    `    },`,
    `)`,
    `def refund(customer: str, amount: int) -> None:`,
    `    ...  # issue the refund here`,
    ``,
    `refund("cus_123", 500)`,
  ];
  return [
    {
      id: "py-install",
      title: "Install",
      language: "shell",
      code: ["# from a checkout of the Countersign repository (standard library only, Python 3.9+):", "pip install ./sdk/python"].join("\n"),
    },
    { id: "py-request", title: "Ask, wait, redeem", language: "python", code: request.join("\n") },
    { id: "py-guard", title: "Or guard a function", language: "python", code: guard.join("\n") },
  ];
}

/** Where `countersign mcp` lives on the agent's machine: we cannot know it, and `npx countersign` could fetch an unrelated package. */
export const MCP_ENTRY_PLACEHOLDER = "/path/to/countersign/bin/countersign.mjs";

function mcpSnippets(t: ConnectTarget, url: string): Snippet[] {
  const config = {
    mcpServers: {
      countersign: {
        command: "node",
        args: [MCP_ENTRY_PLACEHOLDER, "mcp"],
        env: { COUNTERSIGN_URL: url, COUNTERSIGN_AGENT_KEY: t.agentKey ?? KEY_PLACEHOLDER },
      },
    },
  };
  return [
    {
      id: "mcp-config",
      title: "MCP host config",
      language: "json",
      code: prettyJson(config),
      note: "Replace the path with bin/countersign.mjs in a Countersign checkout on the machine that runs the MCP host (after npm install). Claude Desktop: claude_desktop_config.json. Cursor: ~/.cursor/mcp.json, or .cursor/mcp.json in a project. The server runs on stdio and gives the agent Countersign's tools.",
    },
  ];
}

/** The example upstream of the MCP gateway snippets: the reference filesystem server, which needs no account. */
export const MCP_GATEWAY_EXAMPLE = {
  name: "filesystem",
  command: ["npx", "-y", "@modelcontextprotocol/server-filesystem", "/path/to/allowed/folder"],
  url: "https://mcp.example.com/mcp",
} as const;

/** JSON with every list item on its own line: a gateway's args are a whole command, read best one word a line. */
function expandedJson(value: unknown): string {
  return JSON.stringify(value, null, 2)
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

function mcpGatewaySnippets(t: ConnectTarget, url: string): Snippet[] {
  const env = { COUNTERSIGN_URL: url, COUNTERSIGN_AGENT_KEY: t.agentKey ?? KEY_PLACEHOLDER };
  const stdio = {
    mcpServers: {
      [MCP_GATEWAY_EXAMPLE.name]: {
        command: "node",
        args: [MCP_ENTRY_PLACEHOLDER, "mcp-proxy", "--name", MCP_GATEWAY_EXAMPLE.name, "--", ...MCP_GATEWAY_EXAMPLE.command],
        env,
      },
    },
  };
  const http = {
    mcpServers: {
      tickets: {
        command: "node",
        args: [MCP_ENTRY_PLACEHOLDER, "mcp-proxy", "--name", "tickets", "--upstream-url", MCP_GATEWAY_EXAMPLE.url],
        env,
      },
    },
  };
  // The agent's name is hostile text: as a JSON string literal it is also a valid YAML flow scalar.
  const agent = stringLiteral(t.agentName);
  const rules = [
    `# Countersign policy: rules for the gated server's tools (actions mcp.NAME.TOOL)`,
    `rules:`,
    `  - name: filesystem-reads`,
    `    agents: { names: [${agent}] }`,
    `    actions: ["mcp.filesystem.read_text_file", "mcp.filesystem.list_directory", "mcp.filesystem.search_files"]`,
    `    effect: allow`,
    `  - name: filesystem-changes`,
    `    agents: { names: [${agent}] }`,
    `    actions: ["mcp.filesystem.*"]`,
    `    effect: require_approval`,
    `    reviewers_may_edit: ["content"]`,
  ];
  return [
    {
      id: "mcp-gateway-stdio",
      title: "Gate an MCP server the host runs",
      language: "json",
      code: expandedJson(stdio),
      note: "Put this in place of the server's own entry in the MCP host config: the command after -- is the server as it was (keep its own env entries). The agent sees the same tools; each call becomes a request for mcp.filesystem.TOOL and reaches the server only once approved, with exactly the approved arguments.",
    },
    {
      id: "mcp-gateway-http",
      title: "Gate a remote MCP server (Streamable HTTP)",
      language: "json",
      code: expandedJson(http),
      note: "For a server the host reached by URL. Add --upstream-header 'Authorization: Bearer …' when it needs a token.",
    },
    {
      id: "mcp-gateway-rules",
      title: "Decide which tools need a reviewer",
      language: "yaml",
      code: rules.join("\n"),
      note: "Without a rule every tool call waits for a reviewer. A call still undecided after 45 s (--max-wait) answers PENDING; the agent calls it again with the same arguments to keep waiting. Tool names with other characters than a-z, 0-9 and _.:- get a short hash suffix (createIssue → createissue-706a5e2e); the gateway's log lists each tool's action when it starts.",
    },
  ];
}

/**
 * JSON as people write config files: indented, with short lists of plain
 * strings on one line. JSON.stringify does all the escaping; U+2028/2029 are
 * escaped too, for editors that would break the line there.
 */
export function prettyJson(value: unknown): string {
  return JSON.stringify(value, null, 2)
    .replace(/\[\n\s*((?:"[^"\\\n]*",\n\s*)*"[^"\\\n]*")\n\s*\]/g, (_, items: string) => `[${items.replace(/,\n\s*/g, ", ")}]`)
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

/** Every snippet of the Connect view for one agent. */
export function buildConnectSnippets(target: ConnectTarget): ConnectSnippets {
  const url = normaliseUrl(target.url);
  return {
    env: envSnippet(target, url),
    curl: curlSnippets(target, url),
    typescript: typescriptSnippets(target),
    python: pythonSnippets(target),
    mcp: mcpSnippets(target, url),
    mcpGateway: mcpGatewaySnippets(target, url),
  };
}
