/**
 * A small real MCP server for tests of `countersign mcp-proxy`: the "upstream"
 * the gateway sits in front of. It records every tool call it receives, so a
 * test can prove what reached it (and what never did).
 *
 * Tools: `transfer` (amount, to), `echo` (text), `broken` (always answers
 * isError), `createIssue` (a name that is not a valid action segment) and
 * `slow` (reports progress). One resource and one prompt, to show they pass
 * through.
 */
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";

export interface UpstreamCall {
  tool: string;
  arguments: Record<string, unknown>;
}

export function createUpstreamServer(record: (call: UpstreamCall) => void): McpServer {
  const server = new McpServer(
    { name: "test-upstream", title: "Test upstream", version: "1.2.3" },
    { instructions: "A test server that moves pretend money." },
  );

  server.registerTool(
    "transfer",
    {
      title: "Transfer money",
      description: "Moves pretend money to an account.",
      inputSchema: { amount: z.number().describe("How much"), to: z.string().describe("Account id"), memo: z.string().optional() },
      annotations: { destructiveHint: true, openWorldHint: false },
    },
    async (args) => {
      record({ tool: "transfer", arguments: args });
      return { content: [{ type: "text", text: `Transferred ${args.amount} to ${args.to}` }] };
    },
  );

  server.registerTool("echo", { description: "Says the text back.", inputSchema: { text: z.string() }, annotations: { readOnlyHint: true } }, async (args) => {
    record({ tool: "echo", arguments: args });
    return { content: [{ type: "text", text: args.text }] };
  });

  server.registerTool("broken", { description: "Always fails.", inputSchema: { reason: z.string() } }, async (args) => {
    record({ tool: "broken", arguments: args });
    return { content: [{ type: "text", text: `Disk full: ${args.reason}` }], isError: true };
  });

  server.registerTool("createIssue", { description: "Files an issue.", inputSchema: { title: z.string() } }, async (args) => {
    record({ tool: "createIssue", arguments: args });
    return { content: [{ type: "text", text: `Filed "${args.title}"` }] };
  });

  server.registerResource("readme", "memo://readme", { title: "Read me", mimeType: "text/plain" }, async (uri) => ({
    contents: [{ uri: uri.href, text: "Upstream readme" }],
  }));

  server.registerPrompt("greet", { description: "A greeting", argsSchema: { who: z.string() } }, ({ who }) => ({
    messages: [{ role: "user", content: { type: "text", text: `Say hello to ${who}` } }],
  }));

  return server;
}
