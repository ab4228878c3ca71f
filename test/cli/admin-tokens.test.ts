import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { db } from "../../lib/db.ts";
import { baseUrl, expectProblem, unique } from "../support/fixtures.ts";
import { type CliResult, runCli } from "../support/run-cli.ts";

/*
 * `countersign admin-tokens create --name N [--scope S]… [--json]` against
 * the shared database: the token it prints works over HTTP as far as its
 * scopes reach, and a mistyped scope fails before anything is created.
 */

const cli = (args: string[]) => runCli(args, { ...process.env, LOG_LEVEL: "warn" });

function ok(r: CliResult): string {
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
}

const get = (path: string, token: string) => fetch(baseUrl() + path, { headers: { authorization: `Bearer ${token}` } });

describe("countersign admin-tokens create --scope", () => {
  it("creates a token with the repeated --scope options, which reaches those areas only (audited with its scopes)", async () => {
    const name = unique("cli-scoped");
    const out = JSON.parse(ok(await cli(["admin-tokens", "create", "--name", name, "--scope", "webhooks:read", "--scope", "agents:write", "--json"])));
    expect(out.scopes).toEqual(["agents:write", "webhooks:read"]);
    expect(out.token).toMatch(new RegExp(`^csa_${out.token_id}_`));

    expect((await get("/api/v1/admin/agents", out.token)).status).toBe(200);
    expect((await get("/api/v1/admin/webhooks", out.token)).status).toBe(200);
    const refused = await expectProblem(await get("/api/v1/admin/policies", out.token), 403, "insufficient_scope");
    expect(refused.detail).toContain("policies:read");

    const event = await db()
      .selectFrom("auditEvents")
      .select(["data", "actor"])
      .where("type", "=", "admin_token.created")
      .where(sql<string>`data->>'token_id'`, "=", out.token_id)
      .executeTakeFirstOrThrow();
    expect(event).toMatchObject({ actor: "cli", data: { name, scopes: ["agents:write", "webhooks:read"] } });
  });

  it("gives a token without --scope the admin scope, and says so", async () => {
    const out = ok(await cli(["admin-tokens", "create", "--name", unique("cli-admin")]));
    expect(out).toMatch(/scopes: admin\n/);
    const token = /token: (csa_\S+)/.exec(out)?.[1] ?? "";
    expect((await get("/api/v1/admin/access", token)).status).toBe(200);
  });

  it("refuses an unknown scope with a clear error listing the valid ones, and creates nothing", async () => {
    const name = unique("cli-typo");
    const r = await cli(["admin-tokens", "create", "--name", name, "--scope", "agents:write", "--scope", "agent:write"]);
    expect(r.code).toBe(1);
    // The error first, then the command's usage (as for every option error: showHelpAfterError), never a stack trace.
    expect(r.stderr).toMatch(
      /^error: option '--scope <scope>' argument 'agent:write' is invalid\. unknown scope; one of: policies:read, .*webhooks:write, admin\n/,
    );
    expect(r.stderr).not.toMatch(/TypeError|^\s+at /m);
    expect(r.stdout).toBe("");
    const rows = await db().selectFrom("adminTokens").select("id").where("name", "=", name).execute();
    expect(rows).toEqual([]);
  });
});
