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

program.parseAsync().catch((err: Error) => {
  console.error(`error: ${err.message}`);
  process.exit(1);
});
