import { Command, Option } from "commander";
import { registerAdminCommands } from "./admin.ts";
import { registerPolicyCommands } from "./policies.ts";
import { collect, fail } from "./support.ts";

// Commands import what they use when they run, so each loads only its own
// part of the app (`--help` and option errors load none of it).
const program = new Command().name("countersign").description("Human approval gateway for AI agents").showHelpAfterError();

program
  .command("start")
  .description("migrate, then serve (embedded PostgreSQL when DATABASE_URL is not set)")
  .addOption(new Option("--dev", "run Next.js in development mode"))
  .action(async (opts: { dev?: boolean }) => (await import("./start.ts")).runStart(opts));

registerAdminCommands(program);
registerPolicyCommands(program);

program
  .command("mcp")
  .description("MCP server on stdio for an agent (reads COUNTERSIGN_URL and COUNTERSIGN_AGENT_KEY)")
  .option("--url <url>", "the gateway's URL (overrides COUNTERSIGN_URL)")
  .option("--agent-key <key>", "the agent's key (overrides COUNTERSIGN_AGENT_KEY)")
  .option("--max-wait <seconds>", "the longest one tool call waits for a decision (default 45)")
  // An HTTP client of a gateway: it needs no database.
  .action(async (opts: { url?: string; agentKey?: string; maxWait?: string }) => (await import("./mcp.ts")).runMcp(opts));

program
  .command("mcp-proxy")
  .description("MCP gateway on stdio: serves an upstream MCP server's tools, each call approved through Countersign first")
  .usage("--name NAME [options] -- COMMAND [ARGS...]  |  --name NAME --upstream-url URL [options]")
  .option("--name <name>", "the server's name in the actions mcp.NAME.TOOL (a-z, 0-9, _ and -)")
  .option("--upstream-url <url>", "a Streamable HTTP upstream instead of a command")
  .option("--upstream-header <header>", "an HTTP header for the upstream, 'Name: value' (repeatable)", collect, [])
  .option("--url <url>", "the gateway's URL (overrides COUNTERSIGN_URL)")
  .option("--agent-key <key>", "the agent's key (overrides COUNTERSIGN_AGENT_KEY)")
  .option("--max-wait <seconds>", "the longest one tool call waits for a decision (default 45)")
  .argument("[command...]", "the upstream MCP server's command and arguments, after --")
  .action(async (command: string[], opts) => (await import("./mcp-proxy.ts")).runMcpProxy(opts, command));

program.parseAsync().catch(fail);
