import { McpConfigError, resolveMcpConfig, type McpConfig } from "../mcp/config.ts";
import { SERVER_NAME_PATTERN, SERVER_NAME_MAX } from "./actions.ts";

export interface McpProxyOptions {
  name?: string;
  url?: string;
  agentKey?: string;
  maxWait?: string;
  upstreamUrl?: string;
  upstreamHeader?: string[];
}

export type Upstream = { kind: "stdio"; command: string; args: string[] } | { kind: "http"; url: URL; headers: Record<string, string> };

export interface McpProxyConfig extends McpConfig {
  /** The NAME in `mcp.NAME.TOOL`. */
  name: string;
  upstream: Upstream;
}

/**
 * Everything is checked before anything starts (the gateway settings as for
 * `countersign mcp`, then the name and the upstream), and every problem is
 * reported at once, so an MCP host's log shows the whole reason.
 */
export function resolveMcpProxyConfig(options: McpProxyOptions, command: string[], env: NodeJS.ProcessEnv = process.env): McpProxyConfig {
  const problems: string[] = [];
  let gateway: McpConfig | undefined;
  try {
    gateway = resolveMcpConfig(options, env);
  } catch (err) {
    if (!(err instanceof McpConfigError)) throw err;
    problems.push(...err.message.split("\n"));
  }

  const name = options.name ?? "";
  if (!options.name) problems.push("--name is required: the server's name in the action names mcp.NAME.TOOL that rules match (e.g. --name github)");
  else if (!SERVER_NAME_PATTERN.test(name)) {
    problems.push(
      `--name ${JSON.stringify(name)} is refused: use 1 to ${SERVER_NAME_MAX} characters of a-z, 0-9, _ and -, starting with a letter or digit ` +
        "(no dots or capitals: it becomes the middle of mcp.NAME.TOOL, and rules match mcp.NAME.* for exactly this server)",
    );
  }

  let upstream: Upstream | undefined;
  if (options.upstreamUrl !== undefined && command.length) problems.push("give either --upstream-url URL or -- COMMAND [ARGS…], not both");
  else if (options.upstreamUrl !== undefined) {
    const headers: Record<string, string> = {};
    for (const header of options.upstreamHeader ?? []) {
      const colon = header.indexOf(":");
      const key = colon > 0 ? header.slice(0, colon).trim() : "";
      if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(key)) problems.push(`--upstream-header must look like "Name: value" (got one without a valid name)`);
      else headers[key] = header.slice(colon + 1).trim();
    }
    try {
      const url = new URL(options.upstreamUrl);
      if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error();
      upstream = { kind: "http", url, headers };
    } catch {
      problems.push(`--upstream-url is not an http(s) URL: ${JSON.stringify(options.upstreamUrl)}`);
    }
  } else if (command.length) {
    if (options.upstreamHeader?.length) problems.push("--upstream-header goes with --upstream-url only");
    upstream = { kind: "stdio", command: command[0], args: command.slice(1) };
  } else {
    problems.push("no upstream MCP server: add -- COMMAND [ARGS…] (a stdio server) or --upstream-url URL (Streamable HTTP)");
  }

  if (problems.length) throw new McpConfigError(problems.join("\n"));
  return { ...gateway!, name, upstream: upstream! };
}
