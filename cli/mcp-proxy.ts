import { readFileSync } from "node:fs";
import { Countersign, VERSION as SDK_VERSION } from "@countersign/sdk";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { McpConfigError } from "./mcp/config.ts";
import { actionFor } from "./mcp-proxy/actions.ts";
import { resolveMcpProxyConfig, type McpProxyOptions, type Upstream } from "./mcp-proxy/config.ts";
import { OpenCalls } from "./mcp-proxy/open-calls.ts";
import { createProxyServer } from "./mcp-proxy/server.ts";

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}

function upstreamTransport(upstream: Upstream): Transport {
  if (upstream.kind === "http") return new StreamableHTTPClientTransport(upstream.url, { requestInit: { headers: upstream.headers } });
  // The upstream gets this process's environment (its own settings come through the host's config),
  // but never the agent key: only the gateway in front of it may ask Countersign in the agent's name.
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined && key !== "COUNTERSIGN_AGENT_KEY") env[key] = value;
  return new StdioClientTransport({ command: upstream.command, args: upstream.args, env, stderr: "inherit" });
}

/**
 * `countersign mcp-proxy`: an MCP gateway. It serves the upstream MCP
 * server's tools on its own stdio, unchanged, and lets a call reach the
 * upstream only once Countersign approved it (see mcp-proxy/gate.ts). Like
 * `countersign mcp` it is only an HTTP client of the gateway.
 */
export async function runMcpProxy(options: McpProxyOptions, command: string[]): Promise<void> {
  // On stdio, stdout carries JSON-RPC and nothing else.
  console.log = console.info = console.debug = console.error;
  const say = (line: string) => process.stderr.write(`countersign mcp-proxy: ${line}\n`);

  let config: ReturnType<typeof resolveMcpProxyConfig>;
  try {
    config = resolveMcpProxyConfig(options, command);
  } catch (err) {
    if (!(err instanceof McpConfigError)) throw err;
    say(`cannot start\n${err.message.replace(/^/gm, "  ")}`);
    process.exit(1);
  }

  const version = packageVersion();
  const client = new Countersign({
    url: config.url,
    agentKey: config.agentKey,
    userAgent: `countersign-mcp-proxy/${version} countersign-sdk-typescript/${SDK_VERSION}`,
    onWarning: (message) => say(message),
  });

  let closing = false;
  const upstream = new Client({ name: "countersign-mcp-proxy", version });
  const where = config.upstream.kind === "http" ? config.upstream.url.href : config.upstream.command;
  try {
    await upstream.connect(upstreamTransport(config.upstream));
  } catch (err) {
    say(`cannot start: the upstream MCP server (${where}) did not answer: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
  // Without its upstream the gateway has nothing to offer: end, so the host shows the server as failed.
  upstream.onclose = () => {
    if (closing) return;
    say(`the upstream MCP server (${where}) closed; stopping`);
    process.exit(1);
  };

  const server = createProxyServer({
    client,
    upstream,
    name: config.name,
    url: config.url,
    maxWaitSeconds: config.maxWaitSeconds,
    calls: new OpenCalls(),
    version,
  });

  const close = async () => {
    if (closing) return;
    closing = true;
    // Pending requests live on in the gateway until they are decided or expire.
    await server.close().catch(() => {});
    await upstream.close().catch(() => {});
    process.exit(0);
  };
  process.stdin.on("end", () => void close());
  process.on("SIGTERM", () => void close());
  process.on("SIGINT", () => void close());

  await server.connect(new StdioServerTransport());
  say(`serving ${where} as mcp.${config.name}.* through ${config.url} (waits up to ${config.maxWaitSeconds} s per call)`);
  // The actions rules must name, for the admin reading the host's log.
  if (upstream.getServerCapabilities()?.tools) {
    try {
      const { tools } = await upstream.listTools();
      say(`tools and their actions: ${tools.map((t) => `${t.name} → ${actionFor(config.name, t.name)}`).join(", ") || "(none)"}`);
    } catch (err) {
      say(`could not list the upstream's tools: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}
