/**
 * The test upstream on stdio, as `countersign mcp-proxy -- COMMAND` runs it:
 * `node bin/run-ts.mjs test/support/mcp-upstream-stdio.ts`. Every tool call
 * it receives is appended as a JSON line to the file named by
 * MCP_UPSTREAM_LOG, after a first line saying whether it was handed an
 * agent key (it must not be).
 */
import { appendFileSync } from "node:fs";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { createUpstreamServer } from "./mcp-upstream.ts";

const log = process.env.MCP_UPSTREAM_LOG;
if (!log) throw new Error("MCP_UPSTREAM_LOG is not set");
const write = (entry: unknown) => appendFileSync(log, `${JSON.stringify(entry)}\n`);

write({ started: true, agent_key_seen: process.env.COUNTERSIGN_AGENT_KEY !== undefined });
await createUpstreamServer((call) => write(call)).connect(new StdioServerTransport());
