import type { Command } from "commander";
import { registerAuditCommands } from "./audit.ts";
import { collect, readStdin, withDatabase } from "./support.ts";
import { isRole, ROLES, type Role } from "../lib/users/roles.ts";

const ROLE_CHOICES = ROLES.join(" | ");

function roleOption(value: string): Role {
  if (!isRole(value)) throw new Error(`--role must be one of ${ROLES.join(", ")}`);
  return value;
}

type SelectorOptions = { name?: string; tag?: string; all?: boolean };

/** Exactly one of --name, --tag and --all. */
function agentSelector(o: SelectorOptions): { name: string } | { tag: string } | { all: true } {
  const given = [o.name !== undefined, o.tag !== undefined, o.all === true].filter(Boolean).length;
  if (given !== 1) throw new Error("give exactly one of --name, --tag and --all");
  if (o.name !== undefined) return { name: o.name };
  if (o.tag !== undefined) {
    if (!o.tag.trim()) throw new Error("--tag must not be empty");
    return { tag: o.tag.trim() };
  }
  return { all: true };
}

const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? "" : "s"}`;

function printStopped(
  r: { agentId: string; name: string; status: string; cancelledRequests: string[]; revokedGrants: number },
  verb: string,
  asJson: boolean | undefined,
): void {
  if (asJson) console.log(JSON.stringify({ agent_id: r.agentId, status: r.status, cancelled_requests: r.cancelledRequests, revoked_grants: r.revokedGrants }));
  else console.log(`${verb} ${r.name} (${r.agentId}): ${r.cancelledRequests.length} pending requests cancelled, ${r.revokedGrants} grants revoked`);
}

const skippedJson = (s: { agentId: string; name: string; status: string }) => ({ agent_id: s.agentId, name: s.name, status: s.status });

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

  agents
    .command("suspend")
    .description(
      "kill switch: refuse the agents' keys (403), cancel their pending requests, revoke their unredeemed grants; one agent (--name), every agent with a tag (--tag) or every agent (--all), in one transaction",
    )
    .option("--name <name>", "one agent")
    .option("--tag <tag>", "every agent with this tag")
    .option("--all", "every agent (retired ones excepted)")
    .option("--reason <text>")
    .option("--json", "print JSON")
    .action(async (o: SelectorOptions & { reason?: string; json?: boolean }) => {
      const selector = agentSelector(o);
      const reason = o.reason ?? null;
      if ("name" in selector) {
        const { suspendAgent } = await import("../lib/agents/suspend-agent.ts");
        const r = await withDatabase(() => suspendAgent({ ...selector, reason, actor: "cli" }));
        printStopped(r, "suspended", o.json);
        return;
      }
      const { suspendAgents } = await import("../lib/agents/suspend-agent.ts");
      const r = await withDatabase(() => suspendAgents({ selector, reason, actor: "cli" }));
      if (o.json)
        console.log(
          JSON.stringify({
            suspended: r.stopped.map((s) => ({
              agent_id: s.agentId,
              name: s.name,
              cancelled_requests: s.cancelledRequests.length,
              revoked_grants: s.revokedGrants,
            })),
            skipped: r.skipped.map(skippedJson),
          }),
        );
      else {
        const cancelled = r.stopped.reduce((n, s) => n + s.cancelledRequests.length, 0);
        const revoked = r.stopped.reduce((n, s) => n + s.revokedGrants, 0);
        for (const s of r.stopped)
          console.log(`suspended ${s.name} (${s.agentId}): ${s.cancelledRequests.length} pending requests cancelled, ${s.revokedGrants} grants revoked`);
        for (const s of r.skipped) console.log(`skipped ${s.name} (${s.agentId}): already ${s.status}`);
        console.log(
          `${count(r.stopped.length, "agent")} suspended, ${cancelled} pending requests cancelled, ${revoked} grants revoked; ${r.skipped.length} skipped`,
        );
      }
    });

  agents
    .command("retire")
    .description("retire the agent for good: keys refused (401), pending requests cancelled, grants revoked")
    .requiredOption("--name <name>")
    .option("--reason <text>")
    .option("--json", "print JSON")
    .action(async (o: { name: string; reason?: string; json?: boolean }) => {
      const { retireAgent } = await import("../lib/agents/retire-agent.ts");
      const r = await withDatabase(() => retireAgent({ name: o.name, reason: o.reason ?? null, actor: "cli" }));
      printStopped(r, "retired", o.json);
    });

  agents
    .command("resume")
    .description("let suspended agents' keys work again: one agent (--name), every agent with a tag (--tag) or every agent (--all)")
    .option("--name <name>", "one agent")
    .option("--tag <tag>", "every agent with this tag")
    .option("--all", "every agent")
    .option("--reason <text>")
    .option("--json", "print JSON")
    .action(async (o: SelectorOptions & { reason?: string; json?: boolean }) => {
      const selector = agentSelector(o);
      const { resumeAgents } = await import("../lib/agents/resume-agent.ts");
      const r = await withDatabase(() => resumeAgents({ selector, reason: o.reason ?? null, actor: "cli" }));
      if ("name" in selector) {
        const [a] = r.resumed;
        if (o.json) console.log(JSON.stringify({ agent_id: a.agentId, status: a.status }));
        else console.log(`resumed ${a.name} (${a.agentId})`);
      } else if (o.json) {
        console.log(JSON.stringify({ resumed: r.resumed.map((a) => ({ agent_id: a.agentId, name: a.name })), skipped: r.skipped.map(skippedJson) }));
      } else {
        for (const a of r.resumed) console.log(`resumed ${a.name} (${a.agentId})`);
        for (const s of r.skipped) console.log(`skipped ${s.name} (${s.agentId}): ${s.status}`);
        console.log(`${count(r.resumed.length, "agent")} resumed; ${r.skipped.length} skipped`);
      }
    });

  registerAuditCommands(program);
}
