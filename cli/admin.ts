import type { Command } from "commander";
import { registerAuditCommands } from "./audit.ts";
import { collect, readStdin, withDatabase } from "./support.ts";
import { isRole, ROLES, type Role } from "../lib/users/roles.ts";

const ROLE_CHOICES = ROLES.join(" | ");

function roleOption(value: string): Role {
  if (!isRole(value)) throw new Error(`--role must be one of ${ROLES.join(", ")}`);
  return value;
}

export function registerAdminCommands(program: Command): void {
  program
    .command("migrate")
    .description("apply database migrations (creates the embedded database when DATABASE_URL is not set)")
    .action(async () => {
      const { prepareRuntime } = await import("../lib/runtime/prepare.ts");
      const { migrate } = await import("../lib/runtime/migrate.ts");
      const runtime = await prepareRuntime({ create: true });
      try {
        await migrate(runtime.databaseUrl);
        console.log(`migrations applied (${runtime.where})`);
      } finally {
        await runtime.stop();
      }
    });

  const users = program.command("users").description("reviewer, admin and auditor accounts");
  users
    .command("create")
    .description("create a local account (password from stdin, or generated and printed)")
    .requiredOption("--email <email>")
    .requiredOption("--role <role>", ROLE_CHOICES)
    .option("--name <name>")
    .option("--password-stdin", "read the password from standard input")
    .option("--json", "print JSON")
    .action(async (o: { email: string; role: string; name?: string; passwordStdin?: boolean; json?: boolean }) => {
      const role = roleOption(o.role);
      const password = o.passwordStdin ? await readStdin() : undefined;
      const { createUser } = await import("../lib/users/create-user.ts");
      const result = await withDatabase(() => createUser({ email: o.email, role, name: o.name, password, actor: "cli" }));
      if (o.json)
        console.log(JSON.stringify({ user_id: result.userId, email: o.email.toLowerCase(), ...(result.password ? { password: result.password } : {}) }));
      else {
        console.log(`created ${o.role} ${o.email.toLowerCase()} (${result.userId})`);
        if (result.password) console.log(`password: ${result.password}`);
      }
    });

  for (const [name, disabled] of [
    ["disable", true],
    ["enable", false],
  ] as const) {
    users
      .command(name)
      .description(disabled ? "disable an account and end its sessions at once" : "re-enable a disabled account")
      .requiredOption("--email <email>")
      .action(async (o: { email: string }) => {
        const { setUserDisabled } = await import("../lib/users/set-user-disabled.ts");
        await withDatabase(() => setUserDisabled({ email: o.email, disabled, actor: "cli" }));
        console.log(`${name}d ${o.email.toLowerCase()}`);
      });
  }

  users
    .command("set-role")
    .description("change an account's role (applies to its sessions at once)")
    .requiredOption("--email <email>")
    .requiredOption("--role <role>", ROLE_CHOICES)
    .action(async (o: { email: string; role: string }) => {
      const role = roleOption(o.role);
      const { setUserRole } = await import("../lib/users/set-user-role.ts");
      const r = await withDatabase(() => setUserRole({ email: o.email, role, actor: "cli" }));
      console.log(r.changed ? `${o.email.toLowerCase()} is now ${o.role}` : `${o.email.toLowerCase()} was already ${o.role}`);
    });

  const agents = program.command("agents").description("agent identities");
  agents
    .command("create")
    .description("register an agent and print its first key (shown once)")
    .requiredOption("--name <name>")
    .option("--owner <email>")
    .option("--description <text>")
    .option("--tag <tag>", "repeatable", collect, [] as string[])
    .option("--key-expires-in <days>", "the key stops working after this many days")
    .option("--json", 'print {"agent_id", "key", "callback_secret"}')
    .action(async (o: { name: string; owner?: string; description?: string; tag: string[]; keyExpiresIn?: string; json?: boolean }) => {
      const days = o.keyExpiresIn === undefined ? undefined : Number(o.keyExpiresIn);
      if (days !== undefined && !(days > 0)) throw new Error("--key-expires-in must be a positive number of days");
      const keyExpiresAt = days === undefined ? null : new Date(Date.now() + days * 86_400_000);
      const { createAgent } = await import("../lib/agents/create-agent.ts");
      const r = await withDatabase(() =>
        createAgent({ name: o.name, ownerEmail: o.owner, description: o.description, tags: o.tag, keyExpiresAt, actor: "cli" }),
      );
      if (o.json) console.log(JSON.stringify({ agent_id: r.agentId, key: r.key, callback_secret: r.callbackSecret }));
      else
        console.log(
          `created agent ${o.name} (${r.agentId})\nkey: ${r.key}\ncallback secret: ${r.callbackSecret}\nThe key and the callback secret are shown once; store them now.`,
        );
    });

  for (const [name, verb] of [
    ["suspend", "suspended"],
    ["retire", "retired"],
  ] as const) {
    agents
      .command(name)
      .description(
        name === "suspend"
          ? "kill switch: refuse the agent's keys (403), cancel its pending requests, revoke its unredeemed grants"
          : "retire the agent for good: keys refused (401), pending requests cancelled, grants revoked",
      )
      .requiredOption("--name <name>")
      .option("--reason <text>")
      .option("--json", "print JSON")
      .action(async (o: { name: string; reason?: string; json?: boolean }) => {
        const stop =
          name === "suspend" ? (await import("../lib/agents/suspend-agent.ts")).suspendAgent : (await import("../lib/agents/retire-agent.ts")).retireAgent;
        const r = await withDatabase(() => stop({ name: o.name, reason: o.reason ?? null, actor: "cli" }));
        if (o.json)
          console.log(JSON.stringify({ agent_id: r.agentId, status: r.status, cancelled_requests: r.cancelledRequests, revoked_grants: r.revokedGrants }));
        else console.log(`${verb} ${r.name} (${r.agentId}): ${r.cancelledRequests.length} pending requests cancelled, ${r.revokedGrants} grants revoked`);
      });
  }
  agents
    .command("resume")
    .description("let a suspended agent's keys work again")
    .requiredOption("--name <name>")
    .option("--reason <text>")
    .action(async (o: { name: string; reason?: string }) => {
      const { resumeAgent } = await import("../lib/agents/resume-agent.ts");
      const r = await withDatabase(() => resumeAgent({ name: o.name, reason: o.reason ?? null, actor: "cli" }));
      console.log(`resumed ${r.name} (${r.agentId})`);
    });

  registerAuditCommands(program);
}
