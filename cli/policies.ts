import { readFile, writeFile } from "node:fs/promises";
import { type Command, InvalidArgumentError } from "commander";
import { ADMIN_SCOPES, isAdminScope } from "../lib/admin-tokens/scopes.ts";
import { withDatabase } from "./support.ts";

export function registerPolicyCommands(program: Command): void {
  program
    .command("groups")
    .description("reviewer groups")
    .command("add")
    .description("put a user in a reviewer group (created if new)")
    .requiredOption("--group <group>")
    .requiredOption("--email <email>")
    .option("--json", "print JSON")
    .action(async (o: { group: string; email: string; json?: boolean }) => {
      const { addGroupMember } = await import("../lib/users/groups.ts");
      const r = await withDatabase(() => addGroupMember({ group: o.group, email: o.email, actor: "cli", createGroup: true }));
      if (o.json) console.log(JSON.stringify({ group_id: r.groupId, added: r.changed }));
      else console.log(r.changed ? `added ${o.email.toLowerCase()} to ${o.group}` : `${o.email.toLowerCase()} is already in ${o.group}`);
    });

  const policies = program.command("policies").description("policy as code");
  policies
    .command("export [file]")
    .description("write the policy document as YAML (to FILE, or standard output)")
    .option("--json", "write JSON instead of YAML")
    .action(async (file: string | undefined, o: { json?: boolean }) => {
      const { exportPolicyDocument, serializePolicyDocument } = await import("../lib/policy/policy-as-code.ts");
      const document = await withDatabase(() => exportPolicyDocument());
      const text = serializePolicyDocument(document, o.json ? "json" : "yaml");
      if (file) {
        await writeFile(file, text);
        console.error(`wrote ${document.rules.length} rules to ${file}`);
      } else process.stdout.write(text);
    });
  policies
    .command("import <file>")
    .description("replace the rule set with a YAML or JSON document, all or nothing")
    .option("--dry-run", "report what would change, change nothing")
    .option("--json", "print JSON")
    .action(async (file: string, o: { dryRun?: boolean; json?: boolean }) => {
      const text = await readFile(file, "utf8");
      const { importPolicyDocument } = await import("../lib/policy/policy-as-code.ts");
      const r = await withDatabase(() => importPolicyDocument({ text, dryRun: o.dryRun, actor: "cli" }));
      if (o.json) {
        console.log(
          JSON.stringify({
            dry_run: r.dryRun,
            added: r.added,
            changed: r.changed,
            removed: r.removed,
            unchanged: r.unchanged,
            default_changed: r.defaultChanged,
          }),
        );
        return;
      }
      const list = (names: string[]) => (names.length ? names.join(", ") : "none");
      console.log(`${r.dryRun ? "dry run: would change" : "applied"}:`);
      console.log(`  added:   ${list(r.added)}`);
      console.log(`  changed: ${list(r.changed)}`);
      console.log(`  removed: ${list(r.removed)}`);
      console.log(`  unchanged: ${r.unchanged.length} rule(s)${r.defaultChanged ? "; default changed" : ""}`);
    });

  program
    .command("admin-tokens")
    .description("admin API tokens for automation")
    .command("create")
    .description("create an admin API token (shown once)")
    .requiredOption("--name <name>")
    .option("--scope <scope>", `what it may reach, repeatable; without it: admin (everything). One of: ${ADMIN_SCOPES.join(", ")}`, scopeOption)
    .option("--json", 'print {"token", "token_id", "scopes"}')
    .action(async (o: { name: string; scope?: string[]; json?: boolean }) => {
      const { createAdminToken } = await import("../lib/admin-tokens/admin-tokens.ts");
      const r = await withDatabase(() => createAdminToken({ name: o.name, scopes: o.scope, actor: "cli" }));
      if (o.json) console.log(JSON.stringify({ token: r.token, token_id: r.tokenId, scopes: r.scopes }));
      else
        console.log(`created admin token ${o.name} (${r.tokenId}), scopes: ${r.scopes.join(", ")}\ntoken: ${r.token}\nThe token is shown once; store it now.`);
    });
}

/** `--scope` is checked as it is read, so a typo fails before anything touches the database. */
function scopeOption(value: string, previous: string[] | undefined): string[] {
  if (!isAdminScope(value)) throw new InvalidArgumentError(`unknown scope; one of: ${ADMIN_SCOPES.join(", ")}`);
  return [...(previous ?? []), value];
}
