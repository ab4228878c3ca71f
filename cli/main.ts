import { Command, Option } from "commander";
import { runStart } from "./start.ts";
import { registerAdminCommands } from "./admin.ts";
import { registerPolicyCommands } from "./policies.ts";

const program = new Command()
  .name("countersign")
  .description("Human approval gateway for AI agents")
  .showHelpAfterError();

program
  .command("start")
  .description("migrate, then serve (embedded PostgreSQL when DATABASE_URL is not set)")
  .addOption(new Option("--dev", "run Next.js in development mode"))
  .action((opts: { dev?: boolean }) => runStart(opts));

registerAdminCommands(program);
registerPolicyCommands(program);

program
  .command("mcp")
  .description("MCP server on stdio for an agent (reads COUNTERSIGN_URL and COUNTERSIGN_AGENT_KEY)")
  .option("--url <url>", "the gateway's URL (overrides COUNTERSIGN_URL)")
  .option("--agent-key <key>", "the agent's key (overrides COUNTERSIGN_AGENT_KEY)")
  .option("--max-wait <seconds>", "the longest one tool call waits for a decision (default 45)")
  // Imported on use: only this command loads the MCP SDK. It is an HTTP client of a gateway and needs no database.
  .action(async (opts: { url?: string; agentKey?: string; maxWait?: string }) => (await import("./mcp.ts")).runMcp(opts));

program.parseAsync().catch((err: Error) => {
  console.error(`error: ${err.message}`);
  process.exit(1);
});
