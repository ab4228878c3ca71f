import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startEmbeddedPostgres } from "../../lib/runtime/embedded-postgres.ts";
import { type ScratchDatabase, scratchDatabase } from "../support/scratch-database.ts";
import { freePort } from "../support/test-server.ts";
import { runCli, type CliResult } from "../support/run-cli.ts";

/*
 * The CLI tells the truth about where it is pointed: commands other than
 * `start` and `migrate` create nothing, and every expected failure is one
 * line on stderr and a non-zero exit, never a stack trace.
 */

/** Runs the real CLI with exactly this configuration (none of the test process's database settings). */
function cli(args: string[], env: Record<string, string>): Promise<CliResult> {
  const { DATABASE_URL: _url, AUTH_SECRET: _secret, COUNTERSIGN_DATA_DIR: _dir, COUNTERSIGN_EMBEDDED_PG_PORT: _port, ...inherited } = process.env;
  return runCli(args, { ...inherited, LOG_LEVEL: "warn", ...env });
}

/** One line on stderr, starting with `error:`, and nothing that looks like a stack trace. */
function expectOneLineError(r: CliResult, code = 1): string {
  expect(r.code, r.stderr).toBe(code);
  const lines = r.stderr.trimEnd().split("\n");
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^error: /);
  expect(r.stderr).not.toMatch(/TypeError|^\s+at /m);
  expect(r.stdout).not.toMatch(/intact/);
  return lines[0];
}

const COMMANDS = [
  ["audit", "verify"],
  ["audit", "verify", "--json"],
  ["users", "create", "--email", "nobody@example.com", "--role", "admin"],
  ["agents", "create", "--name", "nobody", "--json"],
  ["policies", "export"],
];

describe("a wrong data directory", () => {
  let scratch: string;
  beforeAll(() => {
    scratch = mkdtempSync(path.join(tmpdir(), "cli-wrong-dir-"));
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it("that does not exist fails in one line for every command, and is not created", { timeout: 120_000 }, async () => {
    const dir = path.join(scratch, "typo", ".countersign");
    const port = String(await freePort());
    for (const args of COMMANDS) {
      const line = expectOneLineError(await cli(args, { COUNTERSIGN_DATA_DIR: dir, COUNTERSIGN_EMBEDDED_PG_PORT: port }));
      expect(line).toBe(
        `error: no Countersign database at ${dir}: run \`countersign start\` or \`countersign migrate\` first (or set COUNTERSIGN_DATA_DIR or DATABASE_URL)`,
      );
    }
    expect(existsSync(path.join(scratch, "typo"))).toBe(false);
  });

  it("that exists but is empty fails the same way and stays empty", async () => {
    const dir = mkdtempSync(path.join(scratch, "empty-"));
    const line = expectOneLineError(await cli(["audit", "verify"], { COUNTERSIGN_DATA_DIR: dir, COUNTERSIGN_EMBEDDED_PG_PORT: String(await freePort()) }));
    expect(line).toContain(`no Countersign database at ${dir}`);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe("the embedded port taken by another program", () => {
  let dataDir: string;
  let blocker: Server;
  let blockedPort: number;

  beforeAll(async () => {
    // A real installation (cluster and database), stopped.
    dataDir = mkdtempSync(path.join(tmpdir(), "cli-port-"));
    const db = await startEmbeddedPostgres({ dataDir, port: await freePort(), create: true });
    await db.stop();
    // Something that is not PostgreSQL holds the port: it accepts and hangs up.
    blocker = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    blockedPort = (blocker.address() as { port: number }).port;
  });
  afterAll(async () => {
    await new Promise((resolve) => blocker.close(resolve));
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("is named, with what to do, in one line and a non-zero exit", async () => {
    for (const args of [
      ["audit", "verify"],
      ["users", "create", "--email", "x@example.com", "--role", "admin"],
    ]) {
      const line = expectOneLineError(await cli(args, { COUNTERSIGN_DATA_DIR: dataDir, COUNTERSIGN_EMBEDDED_PG_PORT: String(blockedPort) }));
      expect(line).toContain(`port ${blockedPort} is taken by something that is not PostgreSQL`);
      expect(line).toContain("set COUNTERSIGN_EMBEDDED_PG_PORT to a free port");
    }
  });

  it("by `migrate` too, which may create but not on someone else's port", async () => {
    const line = expectOneLineError(await cli(["migrate"], { COUNTERSIGN_DATA_DIR: dataDir, COUNTERSIGN_EMBEDDED_PG_PORT: String(blockedPort) }));
    expect(line).toContain(`port ${blockedPort} is taken`);
  });
});

describe("an external database (DATABASE_URL) that is not a Countersign database", () => {
  const serverUrl = () => inject("databaseUrl");
  const auth = () => ({ AUTH_SECRET: inject("authSecret") });
  const urlOf = (name: string) => {
    const u = new URL(serverUrl());
    u.pathname = `/${name}`;
    return u.toString();
  };
  const admin = async <T>(work: (c: pg.Client) => Promise<T>): Promise<T> => {
    const c = new pg.Client({ connectionString: serverUrl() });
    await c.connect();
    try {
      return await work(c);
    } finally {
      await c.end();
    }
  };

  it("that does not exist: one line, non-zero, and it is not created", async () => {
    const name = `cli_missing_${randomBytes(4).toString("hex")}`;
    for (const args of [
      ["audit", "verify"],
      ["users", "create", "--email", "x@example.com", "--role", "admin"],
    ]) {
      const line = expectOneLineError(await cli(args, { DATABASE_URL: urlOf(name), ...auth() }));
      expect(line).toMatch(new RegExp(`^error: no Countersign database at [^ ]+/${name}: run`));
      expect(line).not.toContain(new URL(serverUrl()).password);
    }
    expect((await admin((c) => c.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]))).rowCount).toBe(0);
  });

  it("that exists but was never migrated: `audit verify` is not intact, and no schema appears", async () => {
    const name = `cli_fresh_${randomBytes(4).toString("hex")}`;
    await admin((c) => c.query(`CREATE DATABASE ${name}`));
    try {
      for (const args of [
        ["audit", "verify"],
        ["audit", "verify", "--json"],
        ["agents", "create", "--name", "x", "--json"],
      ]) {
        const line = expectOneLineError(await cli(args, { DATABASE_URL: urlOf(name), ...auth() }));
        expect(line).toContain(`no Countersign database at`);
      }
      const fresh = new pg.Client({ connectionString: urlOf(name) });
      await fresh.connect();
      const { rows } = await fresh.query("SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'");
      await fresh.end();
      expect(rows[0].n).toBe(0);
    } finally {
      await admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    }
  });

  describe("migrated", () => {
    let scratch: ScratchDatabase;
    beforeAll(async () => {
      scratch = await scratchDatabase();
    });
    afterAll(async () => {
      await scratch?.drop();
    });

    it("with no events: `audit verify` refuses to call an empty chain intact", async () => {
      const line = expectOneLineError(await cli(["audit", "verify"], { DATABASE_URL: scratch.url, ...auth() }));
      expect(line).toBe("error: the audit chain has no events: nothing to verify (is this the right database?)");
    });

    it("with events: `audit verify` says intact and exits 0", async () => {
      const created = await cli(["users", "create", "--email", "first@example.com", "--role", "admin"], { DATABASE_URL: scratch.url, ...auth() });
      expect(created.code, created.stderr).toBe(0);
      const r = await cli(["audit", "verify"], { DATABASE_URL: scratch.url, ...auth() });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^audit chain intact up to event 1: 1 events/);
    });

    it("behind this version's migrations: one line naming `countersign migrate`, and nothing is migrated", async () => {
      const { rows } = await scratch.pool.query<{ name: string }>("SELECT migration_name AS name FROM _prisma_migrations ORDER BY migration_name DESC LIMIT 1");
      await scratch.pool.query("UPDATE _prisma_migrations SET rolled_back_at = now() WHERE migration_name = $1", [rows[0].name]);
      try {
        const line = expectOneLineError(await cli(["policies", "export"], { DATABASE_URL: scratch.url, ...auth() }));
        expect(line).toContain(`lacks 1 migration(s) of this version (${rows[0].name}): run \`countersign migrate\``);
        const after = await scratch.pool.query("SELECT count(*)::int AS n FROM _prisma_migrations WHERE migration_name = $1", [rows[0].name]);
        expect(after.rows[0].n).toBe(1);
      } finally {
        await scratch.pool.query("UPDATE _prisma_migrations SET rolled_back_at = NULL WHERE migration_name = $1", [rows[0].name]);
      }
    });
  });
});
