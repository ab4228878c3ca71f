export interface McpOptions {
  url?: string;
  agentKey?: string;
  maxWait?: string;
}

export interface McpConfig {
  url: string;
  agentKey: string;
  /** The longest a single tool call waits for a decision before handing back a pending request. */
  maxWaitSeconds: number;
}

export const DEFAULT_MAX_WAIT_SECONDS = 45;
// Beyond this a tool call outlives most MCP clients' request timeouts, even with progress notifications.
export const MAX_WAIT_LIMIT_SECONDS = 3600;
// `csk_<key id>_<secret>`: the secret is base62 or base64url (API.md, Conventions).
const AGENT_KEY_PATTERN = /^csk_[A-Za-z0-9]+_[A-Za-z0-9_-]{32,}$/;

export class McpConfigError extends Error {}

/**
 * Options override the environment. A missing or malformed value is refused
 * here, before the server starts, so a misconfigured MCP host shows the reason
 * in its log instead of failing at the first tool call.
 */
export function resolveMcpConfig(options: McpOptions, env: NodeJS.ProcessEnv = process.env): McpConfig {
  const rawUrl = options.url ?? env.COUNTERSIGN_URL;
  const agentKey = (options.agentKey ?? env.COUNTERSIGN_AGENT_KEY)?.trim();
  const problems: string[] = [];

  let url = "";
  if (!rawUrl) problems.push("COUNTERSIGN_URL is not set (the gateway's address, e.g. https://countersign.example.com; or pass --url)");
  else {
    try {
      const parsed = new URL(rawUrl);
      if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new Error();
      url = parsed.href.replace(/\/+$/, "");
    } catch {
      problems.push(`COUNTERSIGN_URL is not an http(s) URL: ${JSON.stringify(rawUrl)}`);
    }
  }

  if (!agentKey) problems.push("COUNTERSIGN_AGENT_KEY is not set (the agent's key, csk_…; or pass --agent-key)");
  // Never echo the key itself: it is a secret and MCP hosts keep their logs.
  else if (!AGENT_KEY_PATTERN.test(agentKey)) problems.push("COUNTERSIGN_AGENT_KEY is not an agent key (expected csk_<key id>_<secret>)");

  let maxWaitSeconds = DEFAULT_MAX_WAIT_SECONDS;
  if (options.maxWait !== undefined) {
    maxWaitSeconds = Number(options.maxWait);
    if (!/^\d+$/.test(options.maxWait.trim()) || maxWaitSeconds > MAX_WAIT_LIMIT_SECONDS) {
      problems.push(`--max-wait must be a whole number of seconds from 0 to ${MAX_WAIT_LIMIT_SECONDS}`);
    }
  }

  if (problems.length) throw new McpConfigError(problems.join("\n"));
  return { url, agentKey: agentKey!, maxWaitSeconds };
}
