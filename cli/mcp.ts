import { readFileSync } from "node:fs";
import { Countersign, VERSION as SDK_VERSION } from "@countersign/sdk";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { McpConfigError, resolveMcpConfig, type McpOptions } from "./mcp/config.ts";
import { createMcpServer } from "./mcp/server.ts";

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}

/**
 * `countersign mcp`: an MCP server on stdio that lets a model ask for approval
 * through a remote gateway, as the agent whose key it holds. It is only an HTTP
 * client of that gateway: no database, no app configuration.
 */
export async function runMcp(options: McpOptions): Promise<void> {
  // On stdio, stdout carries JSON-RPC and nothing else: anything a dependency
  // prints goes to stderr, where MCP hosts keep server logs.
  console.log = console.info = console.debug = console.error;

  let config: ReturnType<typeof resolveMcpConfig>;
  try {
    config = resolveMcpConfig(options);
  } catch (err) {
    if (!(err instanceof McpConfigError)) throw err;
    process.stderr.write(`countersign mcp: cannot start\n${err.message.replace(/^/gm, "  ")}\n`);
    process.exit(1);
  }

  const version = packageVersion();
  const client = new Countersign({
    url: config.url,
    agentKey: config.agentKey,
    userAgent: `countersign-mcp/${version} countersign-sdk-typescript/${SDK_VERSION}`,
  });
  const server = createMcpServer({ client, url: config.url, version, maxWaitSeconds: config.maxWaitSeconds });

  let closing = false;
  const close = async () => {
    if (closing) return;
    closing = true;
    // Open requests live on in the gateway; a new session finds them with check_approval.
    await server.close().catch(() => {});
    process.exit(0);
  };
  // The host ends the session by closing our stdin (then signals, if we linger).
  process.stdin.on("end", () => void close());
  process.on("SIGTERM", () => void close());
  process.on("SIGINT", () => void close());

  await server.connect(new StdioServerTransport());
  process.stderr.write(`countersign mcp: serving on stdio for ${config.url} (waits up to ${config.maxWaitSeconds} s per call)\n`);
}
