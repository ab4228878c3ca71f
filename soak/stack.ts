import type http from "node:http";
import pg from "pg";
import { keepAliveAgent, parseJson, request } from "../bench/http.ts";
import { type BenchAgent, type Reviewer, seed, signIn } from "../bench/setup.ts";
import { stopBounded } from "../bench/stop.ts";
import { disconnectDb } from "../lib/db.ts";
import { resetEnv } from "../lib/env.ts";
import { randomSecret } from "../lib/ids.ts";
import { createUser } from "../lib/users/create-user.ts";
import { startTestApp, TEST_AUTH_SECRET, type TestApp } from "../test/support/test-server.ts";
import { type SoakDatabase, startSoakDatabase } from "./database.ts";
import type { Knobs } from "./knobs.ts";

/**
 * What every scenario's app gets on top of the defaults: only what would
 * throttle the soak's load by design (the per-agent create rate and pending
 * cap), plus the build folder and the log level. Scenarios add their own
 * (and say so).
 */
export function baseAppEnv(k: Knobs): Record<string, string> {
  return {
    NEXT_DIST_DIR: k.distDir,
    COUNTERSIGN_AGENT_RATE_PER_MINUTE: "100000000",
    COUNTERSIGN_MAX_PENDING_PER_AGENT: "1000000",
    LOG_LEVEL: k.appLogLevel,
  };
}

let serverVersion = "PostgreSQL (embedded)";
/** The PostgreSQL version the last stack ran. */
export const postgresVersion = () => serverVersion;

export const RAISED_FOR_LOAD = "COUNTERSIGN_AGENT_RATE_PER_MINUTE=100000000, COUNTERSIGN_MAX_PENDING_PER_AGENT=1000000";

export interface StackOptions {
  agents: number;
  /** Tags of agent i (default `["soak"]`). */
  tags?: (i: number) => string[];
  /** Reviewers to create and sign in (each its own session). */
  reviewers?: number;
  /** App instances to start on the database (default 1); more can be started with `startApp`. */
  apps?: number;
  appEnv?: Record<string, string>;
}

/**
 * One scenario's world: a fresh embedded PostgreSQL, seeded agents (keys),
 * reviewers and an admin (signed in), an admin API token, and the real app
 * (`countersign start`, production build) as child processes. Everything is
 * stopped by `close`, which `withStack` runs even when the scenario fails.
 */
export class Stack {
  apps: TestApp[] = [];
  agents: BenchAgent[] = [];
  reviewers: { user: Reviewer; cookie: string }[] = [];
  admin!: { user: Reviewer; cookie: string };
  /** `csa_…` admin token (all scopes), made through the API by the admin. */
  adminToken!: { id: string; token: string };
  /** The soak's own connections, for checks that read the database directly. */
  pool!: pg.Pool;
  readonly http: http.Agent = keepAliveAgent();
  private constructor(
    readonly database: SoakDatabase,
    private readonly appEnv: Record<string, string>,
    private readonly log: (line: string) => void,
  ) {}

  static async open(k: Knobs, o: StackOptions, log: (line: string) => void): Promise<Stack> {
    const database = await startSoakDatabase();
    const stack = new Stack(database, { ...baseAppEnv(k), ...o.appEnv }, log);
    try {
      // The seeding below runs the domain functions in this process, on this database.
      await disconnectDb();
      process.env.DATABASE_URL = database.url;
      process.env.AUTH_SECRET ??= TEST_AUTH_SECRET;
      resetEnv();
      stack.pool = new pg.Pool({ connectionString: database.url, max: 4 });
      stack.pool.on("error", () => {});
      const { rows } = await stack.pool.query<{ server_version: string }>("show server_version");
      serverVersion = `PostgreSQL ${rows[0].server_version} (embedded)`;
      const { agents, reviewer } = await seed(o.agents, { prefix: "soak", tags: o.tags ?? (() => ["soak"]) });
      stack.agents = agents;
      const reviewers = [reviewer];
      for (let i = 1; i < (o.reviewers ?? 1); i++) {
        const user = { email: `soak-reviewer-${i}@example.test`, password: randomSecret(18) };
        await createUser({ email: user.email, role: "reviewer", name: `soak reviewer ${i}`, password: user.password, actor: "soak" });
        reviewers.push(user);
      }
      const admin = { email: "soak-admin@example.test", password: randomSecret(18) };
      await createUser({ email: admin.email, role: "admin", name: "soak admin", password: admin.password, actor: "soak" });
      for (let i = 0; i < (o.apps ?? 1); i++) await stack.startApp();
      const url = stack.url;
      stack.reviewers = await Promise.all(reviewers.map(async (user) => ({ user, cookie: await signIn(url, user) })));
      stack.admin = { user: admin, cookie: await signIn(url, admin) };
      stack.adminToken = await stack.createAdminToken("soak-incident");
      return stack;
    } catch (err) {
      await stack.close();
      throw err;
    }
  }

  /** The first app's URL. */
  get url(): string {
    return this.apps[0].url;
  }

  async startApp(extraEnv: Record<string, string> = {}): Promise<TestApp> {
    const app = await startTestApp(this.database.url, { ...this.appEnv, ...extraEnv });
    this.apps.push(app);
    return app;
  }

  /** A new admin API token, through `POST /api/v1/admin/tokens` with the admin's session. */
  async createAdminToken(name: string): Promise<{ id: string; token: string }> {
    const res = await request(`${this.url}/api/v1/admin/tokens`, {
      method: "POST",
      agent: this.http,
      headers: { cookie: this.admin.cookie, origin: this.url },
      body: { name },
    });
    if (res.status !== 201) throw new Error(`creating an admin token failed: ${res.status} ${res.body.slice(0, 200)}`);
    return parseJson<{ id: string; token: string }>(res);
  }

  /**
   * `POST /api/v1/admin/audit/verify` with the admin token: the chain is
   * intact and nothing committed is left unchained. Returns the verdict as text.
   */
  async verifyAudit(url = this.url): Promise<{ ok: boolean; detail: string }> {
    const res = await request(`${url}/api/v1/admin/audit/verify`, {
      method: "POST",
      agent: this.http,
      headers: { authorization: `Bearer ${this.adminToken.token}` },
      timeoutMs: 60_000,
    });
    if (res.status !== 200) return { ok: false, detail: `verify answered ${res.status} ${res.body.slice(0, 200)}` };
    const v = parseJson<{ ok: boolean; events: number; head_seq: number | null; unsealed_events: number; broken_at: number | null; kind: string | null }>(res);
    const detail = v.ok
      ? `intact up to event ${v.head_seq} (${v.events} events), ${v.unsealed_events} unsealed`
      : `broken at ${v.broken_at} (${v.kind}), ${v.unsealed_events} unsealed`;
    return { ok: v.ok && v.unsealed_events === 0, detail };
  }

  /** Request ids in `ids` that are not in the database. */
  async missing(ids: readonly string[]): Promise<string[]> {
    const missing: string[] = [];
    for (let i = 0; i < ids.length; i += 5000) {
      const chunk = ids.slice(i, i + 5000);
      const { rows } = await this.pool.query<{ id: string }>("SELECT id FROM action_requests WHERE id = ANY($1::text[])", [chunk]);
      const found = new Set(rows.map((r) => r.id));
      missing.push(...chunk.filter((id) => !found.has(id)));
    }
    return missing;
  }

  /** Status of each request, from the database. */
  async statuses(ids: readonly string[]): Promise<Map<string, string>> {
    const { rows } = await this.pool.query<{ id: string; status: string }>("SELECT id, status FROM action_requests WHERE id = ANY($1::text[])", [ids]);
    return new Map(rows.map((r) => [r.id, r.status]));
  }

  private closing: Promise<void> | undefined;
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.http.destroy();
      for (const app of this.apps) await stopBounded(app, this.log, 20_000);
      await this.pool?.end().catch(() => {});
      await disconnectDb().catch(() => {});
      await this.database.remove().catch((e: Error) => this.log(`  database stop failed: ${e.message}`));
    })();
    return this.closing;
  }
}

/** Runs `fn` with a fresh stack and closes it afterwards, whatever happens. */
export async function withStack<T>(k: Knobs, o: StackOptions, log: (line: string) => void, fn: (s: Stack) => Promise<T>): Promise<T> {
  const stack = await Stack.open(k, o, log);
  current.add(stack);
  try {
    return await fn(stack);
  } finally {
    await stack.close();
    current.delete(stack);
  }
}

/** Stacks open right now, so a signal handler can close them. */
export const current = new Set<Stack>();
