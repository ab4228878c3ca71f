import { execFileSync, spawnSync } from "node:child_process";
import ts from "typescript";
import { parse as parseYaml } from "yaml";
import { describe, expect, it } from "vitest";
import {
  MCP_ENTRY_PLACEHOLDER,
  MCP_GATEWAY_EXAMPLE,
  buildConnectSnippets,
  commentText,
  EXAMPLE_ACTION,
  EXAMPLE_PARAMS,
  exampleRequestBody,
  KEY_PLACEHOLDER,
  prettyJson,
  shellQuote,
  shellWordWithVariable,
  stringLiteral,
  type ConnectTarget,
} from "./connect-snippets.ts";

const KEY = `csk_${"a".repeat(13)}_${"B".repeat(43)}`;
const target: ConnectTarget = { url: "https://gate.example.com", agentId: "agt_123", agentName: "billing-agent", agentKey: KEY };
/** Values no real configuration holds, to prove nothing interpolated can escape its quoting. */
const hostile: ConnectTarget = {
  url: 'https://gate.example.com/it\'s/$(touch /tmp/pwned)/`id`/"q"/!x',
  agentId: "agt_'\"x",
  agentName: "evil'\n rm -rf ~ #\r\u2028\"name",
  agentKey: null,
};

/** Runs `script` in `shell` with a bare environment (no BASH_ENV, no profile); answers its stdout. */
function run(shell: "bash" | "dash", script: string, env: Record<string, string> = {}): string {
  const bare: Record<string, string> = { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env };
  return execFileSync(shell, ["-c", script], { encoding: "utf8", env: bare as NodeJS.ProcessEnv });
}

const hasDash = spawnSync("dash", ["-c", "true"]).status === 0;

/**
 * Runs a shell snippet in bash with `curl` replaced by a function that
 * prints its arguments, NUL-separated: what curl would have been given.
 */
function curlArgs(script: string, env: Record<string, string> = {}): string[][] {
  const out = run("bash", `curl() { printf '%s\\0' "$@"; printf '\\1'; }\n${script}`, env);
  return out
    .split("\u0001")
    .filter((call) => call.length > 0)
    .map((call) => call.split("\0").slice(0, -1));
}

/** The value after `flag` in a curl argument list (the last one when repeated). */
function argAfter(args: string[], flag: string): string[] {
  return args.flatMap((a, i) => (a === flag ? [args[i + 1]] : []));
}

// These run every snippet through real shells (one process each): time for a busy machine.
describe("shell quoting", { timeout: 30_000 }, () => {
  it.each([
    ["plain", "https://gate.example.com"],
    ["single quote", "it's"],
    ["only quotes", "''"],
    ["dollar and backticks", "$(id) `id` ${HOME}"],
    ["history expansion", "!!"],
    ["newline", "a\nb"],
    ["glob", "*?[a]"],
    ["empty-looking", " "],
    ["zsh equals", "=ls"],
    ["tilde", "~root"],
  ])("shellQuote keeps %s text exactly what it was", (_, value) => {
    const printed = run("bash", `printf '%s' ${shellQuote(value)}`);
    expect(printed).toBe(value);
    // The same word in dash (a strict POSIX sh), where there is one (not on macOS).
    if (hasDash) expect(run("dash", `printf '%s' ${shellQuote(value)}`)).toBe(value);
  });

  it("escapes a single quote the POSIX way", () => {
    expect(shellQuote("https://x.example/it's")).toBe(`'https://x.example/it'\\''s'`);
    expect(shellQuote("csk_abc_DEF")).toBe("csk_abc_DEF");
  });

  it.each([
    ["a readable URL", "https://gate.example.com/api/v1/requests/", "?wait=60"],
    ["hostile text", "https://x/$(id)/`id`/\"/'/!x/", "?w=1&'\""],
  ])("shellWordWithVariable splices a variable into %s", (_, prefix, suffix) => {
    const word = shellWordWithVariable(prefix, "REQUEST_ID", suffix);
    const printed = run("bash", `REQUEST_ID='req_1 2'; printf '%s' ${word}`);
    expect(printed).toBe(`${prefix}req_1 2${suffix}`);
  });

  it("is double-quoted and readable for an ordinary URL", () => {
    expect(shellWordWithVariable("http://localhost:3000/api/v1/requests/", "REQUEST_ID", "?wait=60")).toBe(
      `"http://localhost:3000/api/v1/requests/\${REQUEST_ID}?wait=60"`,
    );
  });
});

describe("curl snippets", { timeout: 30_000 }, () => {
  it("ask for approval with the real key, the public URL and a valid request body", () => {
    const { curl } = buildConnectSnippets(target);
    const create = curl.find((s) => s.id === "curl-create")!;
    const [args] = curlArgs(create.code);
    expect(args).toContain("https://gate.example.com/api/v1/requests");
    expect(argAfter(args, "-X")).toEqual(["POST"]);
    expect(argAfter(args, "-H")).toEqual([`Authorization: Bearer ${KEY}`, "Content-Type: application/json"]);
    const body = JSON.parse(argAfter(args, "-d")[0]);
    expect(body).toEqual(exampleRequestBody());
    expect(body.summary).toBe("Refund $500 to customer cus_123");
  });

  it("read the key from the environment when it can no longer be shown", () => {
    const { curl } = buildConnectSnippets({ ...target, agentKey: null });
    for (const s of curl) expect(s.code).not.toContain("csk_a");
    const [args] = curlArgs(curl[0].code, { COUNTERSIGN_AGENT_KEY: "csk_from_env" });
    expect(argAfter(args, "-H")[0]).toBe("Authorization: Bearer csk_from_env");
  });

  it("wait on the request id and redeem the grant token the admin fills in", () => {
    const { curl } = buildConnectSnippets(target);
    const wait = curl.find((s) => s.id === "curl-wait")!.code.replace("REQUEST_ID='req_…'", "REQUEST_ID=req_42");
    const [waitArgs] = curlArgs(wait);
    expect(waitArgs).toContain("https://gate.example.com/api/v1/requests/req_42?wait=60");
    expect(argAfter(waitArgs, "-H")).toEqual([`Authorization: Bearer ${KEY}`]);

    const redeem = curl.find((s) => s.id === "curl-redeem")!.code.replace("GRANT_TOKEN='eyJ…'", "GRANT_TOKEN=eyJhbGc.eyJzdWI.sig-_");
    const [redeemArgs] = curlArgs(redeem);
    expect(redeemArgs).toContain("https://gate.example.com/api/v1/grants/redeem");
    expect(redeemArgs.join(" ")).not.toContain("Authorization");
    expect(JSON.parse(argAfter(redeemArgs, "-d")[0])).toEqual({ token: "eyJhbGc.eyJzdWI.sig-_", action: EXAMPLE_ACTION, params: EXAMPLE_PARAMS });
  });

  it("keep a URL, id or name with quotes, $() and newlines inert", () => {
    const snippets = buildConnectSnippets(hostile);
    const script = [snippets.env.code, ...snippets.curl.map((s) => s.code)].join("\n");
    // Nothing runs but the three curl calls and the assignments; every argument is exactly the hostile text.
    const calls = curlArgs(script, { COUNTERSIGN_AGENT_KEY: "k" });
    expect(calls).toHaveLength(3);
    expect(calls[0]).toContain(`${hostile.url}/api/v1/requests`);
    expect(calls[1]).toContain(`${hostile.url}/api/v1/requests/req_…?wait=60`);
    expect(calls[2]).toContain(`${hostile.url}/api/v1/grants/redeem`);
    const printed = run("bash", `${snippets.env.code}\nprintf '%s' "$COUNTERSIGN_URL"`);
    expect(printed).toBe(hostile.url);
    // The name reaches the snippets only inside one-line comments.
    for (const s of [...snippets.curl, snippets.env]) {
      for (const line of s.code.split("\n").filter((l) => l.includes("evil"))) expect(line.trimStart()).toMatch(/^#/);
    }
  });

  it("are valid shell even for a trailing slash in the URL", () => {
    const { curl } = buildConnectSnippets({ ...target, url: "https://gate.example.com/" });
    expect(curlArgs(curl[0].code)[0]).toContain("https://gate.example.com/api/v1/requests");
  });
});

describe("environment block", { timeout: 30_000 }, () => {
  it("exports the URL and the real key", () => {
    const { env } = buildConnectSnippets(target);
    const out = run("bash", `${env.code}\nprintf '%s\\n%s' "$COUNTERSIGN_URL" "$COUNTERSIGN_AGENT_KEY"`);
    expect(out).toBe(`https://gate.example.com\n${KEY}`);
  });

  it("holds a placeholder, never a key, once the key is gone", () => {
    const { env } = buildConnectSnippets({ ...target, agentKey: null });
    const out = run("bash", `${env.code}\nprintf '%s' "$COUNTERSIGN_AGENT_KEY"`);
    expect(out).toBe(KEY_PLACEHOLDER);
  });
});

describe("MCP host config", () => {
  it("is valid JSON that runs `countersign mcp` with the URL and key", () => {
    const [config] = buildConnectSnippets(target).mcp;
    expect(JSON.parse(config.code)).toEqual({
      mcpServers: {
        countersign: {
          command: "node",
          args: [MCP_ENTRY_PLACEHOLDER, "mcp"],
          env: { COUNTERSIGN_URL: "https://gate.example.com", COUNTERSIGN_AGENT_KEY: KEY },
        },
      },
    });
  });

  it("stays valid JSON, with the exact values, for hostile input", () => {
    const [config] = buildConnectSnippets(hostile).mcp;
    expect(config.code).not.toMatch(/[\u2028\u2029]/);
    expect(JSON.parse(config.code).mcpServers.countersign.env).toEqual({ COUNTERSIGN_URL: hostile.url, COUNTERSIGN_AGENT_KEY: KEY_PLACEHOLDER });
  });
});

describe("MCP gateway config", () => {
  it("wraps the upstream command in `countersign mcp-proxy --name`, with the URL and key", () => {
    const [stdio, http] = buildConnectSnippets(target).mcpGateway;
    const server = JSON.parse(stdio.code).mcpServers[MCP_GATEWAY_EXAMPLE.name];
    expect(server).toEqual({
      command: "node",
      args: [MCP_ENTRY_PLACEHOLDER, "mcp-proxy", "--name", MCP_GATEWAY_EXAMPLE.name, "--", ...MCP_GATEWAY_EXAMPLE.command],
      env: { COUNTERSIGN_URL: "https://gate.example.com", COUNTERSIGN_AGENT_KEY: KEY },
    });
    expect(JSON.parse(http.code).mcpServers.tickets.args).toEqual([
      MCP_ENTRY_PLACEHOLDER,
      "mcp-proxy",
      "--name",
      "tickets",
      "--upstream-url",
      MCP_GATEWAY_EXAMPLE.url,
    ]);
  });

  it("gives rules for the gated tools that name this agent exactly, even a hostile name", () => {
    for (const t of [target, hostile]) {
      const rules = buildConnectSnippets(t).mcpGateway.find((s) => s.id === "mcp-gateway-rules")!;
      const doc = parseYaml(rules.code) as { rules: { name: string; agents: { names: string[] }; actions: string[]; effect: string }[] };
      expect(doc.rules.map((r) => [r.name, r.effect])).toEqual([
        ["filesystem-reads", "allow"],
        ["filesystem-changes", "require_approval"],
      ]);
      for (const rule of doc.rules) expect(rule.agents.names).toEqual([t.agentName]);
      expect(doc.rules[1].actions).toEqual(["mcp.filesystem.*"]);
    }
    const [config] = buildConnectSnippets(hostile).mcpGateway;
    expect(JSON.parse(config.code).mcpServers.filesystem.env.COUNTERSIGN_URL).toBe(hostile.url);
  });
});

/** Syntax errors TypeScript's parser reports for `code` as a module. */
function typescriptErrors(code: string): string[] {
  const out = ts.transpileModule(code, { reportDiagnostics: true, compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } });
  return (out.diagnostics ?? []).map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
}

// Without BASH_ENV: some python3 launchers are shell scripts, and a profile's noise is not the test's.
const pythonEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== "BASH_ENV")) as NodeJS.ProcessEnv;
const python = spawnSync("python3", ["--version"], { env: pythonEnv }).status === 0;

/** Parses `code` with Python's own parser; returns the error, or "" when it parses. */
function pythonErrors(code: string): string {
  const res = spawnSync("python3", ["-c", "import ast, sys; ast.parse(sys.stdin.read())"], { input: code, encoding: "utf8", env: pythonEnv });
  return res.status === 0 ? "" : res.stderr;
}

describe("SDK snippets", () => {
  it("TypeScript: parses, imports the SDK and asks for the action exactly", () => {
    const { typescript } = buildConnectSnippets(target);
    expect(typescript[0].code).toBe("npm install @countersign/sdk");
    for (const s of typescript.slice(1)) expect(typescriptErrors(s.code)).toEqual([]);
    const request = typescript.find((s) => s.id === "ts-request")!.code;
    expect(request).toContain(`import { Countersign } from "@countersign/sdk";`);
    expect(request).toContain(`action: "payments.refund",`);
    expect(request).toContain(`params: { amount: 500, currency: "USD" },`);
    expect(request).toContain(`summary: "Refund $500 to customer cus_123",`);
    expect(request).toContain(
      `countersign.redeemGrant(result.grant.token, {\n    action: "payments.refund",\n    params: { amount: 500, currency: "USD" },\n  });`,
    );
    expect(request).toContain("// Agent billing-agent (agt_123)");
    const guard = typescript.find((s) => s.id === "ts-guard")!.code;
    expect(guard).toContain('countersign.guard(\n  "payments.refund",');
    expect(guard).toContain("summary: `Refund $${amount} to ${customer}`,");
  });

  it.skipIf(!python)("Python: parses, imports the client and asks for the action exactly", () => {
    const { python: snippets } = buildConnectSnippets(target);
    expect(snippets[0].code.split("\n")).toEqual(expect.arrayContaining(["pip install ./sdk/python"]));
    const request = snippets.find((s) => s.id === "py-request")!.code;
    const guard = snippets.find((s) => s.id === "py-guard")!.code;
    expect(pythonErrors(request)).toBe("");
    expect(pythonErrors(`${request}\n${guard}`)).toBe("");
    expect(request).toContain("from countersign import Client");
    expect(request).toContain(`action="payments.refund",`);
    expect(request).toContain(`params={"amount": 500, "currency": "USD"},`);
    expect(request).toContain(
      `client.redeem_grant(\n        result.grant["token"],\n        action="payments.refund",\n        params={"amount": 500, "currency": "USD"},\n    )`,
    );
    expect(guard).toContain(`@client.guard(\n    "payments.refund",`);
    expect(guard).toContain(`"summary": f"Refund \${amount} to {customer}",`);
  });

  it.skipIf(!python)("stay parseable with a hostile agent name (it only ever lands in a comment)", () => {
    const s = buildConnectSnippets(hostile);
    for (const snippet of s.typescript.slice(1)) expect(typescriptErrors(snippet.code)).toEqual([]);
    expect(pythonErrors(s.python.find((x) => x.id === "py-request")!.code)).toBe("");
    for (const snippet of [...s.typescript, ...s.python]) {
      for (const line of snippet.code.split("\n").filter((l) => l.includes("evil"))) expect(line.trimStart()).toMatch(/^(\/\/|#)/);
    }
  });
});

describe("helpers", () => {
  it("stringLiteral is a JSON, TypeScript and Python string for the same text", () => {
    const value = "a\"b'c\\d\ne\u2028f";
    const literal = stringLiteral(value);
    expect(literal).not.toMatch(/[\n\u2028]/);
    expect(JSON.parse(literal)).toBe(value);
  });

  it("prettyJson puts short lists of plain strings on one line and round-trips everything", () => {
    const value = { args: ["countersign", "mcp"], tricky: ['a"b', "c,\n  d"], n: [1, 2], nested: { s: "\u2028" } };
    const text = prettyJson(value);
    expect(text).toContain('"args": ["countersign", "mcp"]');
    expect(text).not.toMatch(/[\u2028\u2029]/);
    expect(JSON.parse(text)).toEqual(value);
  });

  it("commentText folds control characters and line separators into one line", () => {
    expect(commentText("a\nb\r\nc\u2028d\u0000e")).toBe("a b c d e");
  });
});
