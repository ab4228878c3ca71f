/**
 * Bulk containment benchmark: `node bin/run-ts.mjs bench/containment.ts` (no app build needed).
 *
 * Starts a fresh embedded PostgreSQL, seeds BENCH_CONTAINMENT_AGENTS (10,000)
 * agents (one in ten tagged `finance`), each with BENCH_CONTAINMENT_PENDING (2)
 * pending requests, and one live grant for every tenth agent, then times the
 * production code (`suspendAgents`, `resumeAgents`): suspend by tag, resume by
 * tag, suspend all, each one transaction. Reports its wall time and the
 * statements it sent (counted on the connection), which must not grow with
 * the number of agents. Prints figures, asserts nothing; writes
 * bench/results/containment.json.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import pg from "pg";
import { resumeAgents } from "../lib/agents/resume-agent.ts";
import { suspendAgents } from "../lib/agents/suspend-agent.ts";
import { disconnectDb, kyselyOver } from "../lib/db.ts";
import { closeHub } from "../lib/events/hub.ts";
import { PROJECT_ROOT } from "../lib/runtime/migrate.ts";
import { startTestDatabase, TEST_AUTH_SECRET, type TestDatabase } from "../test/support/test-server.ts";
import { envInt } from "./harness.ts";
import { machineInfo } from "./report.ts";
import { round } from "./stats.ts";

const log = (line: string) => process.stdout.write(`${line}\n`);

async function seed(db: pg.Pool, agents: number, pendingPerAgent: number): Promise<void> {
  await db.query(
    `INSERT INTO agents (id, name, tags)
     SELECT 'agt_' || lpad(g::text, 26, '0'), 'bench-agent-' || g, CASE WHEN g % 10 = 0 THEN '{finance}'::text[] ELSE '{ops}'::text[] END
       FROM generate_series(1, $1::int) g`,
    [agents],
  );
  // Pending requests, and for every tenth agent one approved request with a grant it has not redeemed.
  await db.query(
    `INSERT INTO action_requests (id, agent_id, action, params, params_sha256, summary, context, status, policy_id, policy_name,
                                  policy_version, policy_effect, approvals_required, grant_ttl_seconds, grant_audience, expires_at,
                                  decided_at, decision_by, body_sha256)
     SELECT 'req_' || lpad((a * 100 + k)::text, 26, '0'), 'agt_' || lpad(a::text, 26, '0'), 'payments.refund', '{"amount": 5}'::jsonb,
            encode(sha256(a::text::bytea), 'hex'), 'Refund 5 USD', '{}'::jsonb,
            (CASE WHEN k = 0 THEN 'approved' ELSE 'pending' END)::"RequestStatus", 'pol_bench', 'bench rule', 1, 'require_approval', 1, 300,
            'bench', now() + interval '1 hour', CASE WHEN k = 0 THEN now() END, CASE WHEN k = 0 THEN 'bench' END,
            encode(sha256((a * 100 + k)::text::bytea), 'hex')
       FROM generate_series(1, $1::int) a, generate_series(0, $2::int) k
      WHERE k > 0 OR a % 10 = 1`,
    [agents, pendingPerAgent],
  );
  await db.query(
    `INSERT INTO grants (id, request_id, agent_id, kid, audience, approved_by, issued_at, expires_at)
     SELECT 'grt_' || substr(id, 5), id, agent_id, 'bench', 'bench', '{bench}', now(), now() + interval '1 hour'
       FROM action_requests WHERE status = 'approved'`,
  );
  await db.query("VACUUM ANALYZE agents, action_requests, grants");
}

/** A query builder over `pool` that counts the statements it sends. */
function counting(pool: pg.Pool) {
  const counter = { n: 0 };
  const wrapped = new WeakSet<pg.PoolClient>();
  const fake = {
    connect: async () => {
      const client = await pool.connect();
      if (!wrapped.has(client)) {
        wrapped.add(client);
        const query = client.query.bind(client) as (...args: unknown[]) => unknown;
        (client as { query: unknown }).query = async (...args: unknown[]) => {
          counter.n++;
          const start = performance.now();
          const result = await query(...args);
          const text = typeof args[0] === "string" ? args[0] : String((args[0] as { text?: string })?.text ?? "");
          if (process.env.BENCH_CONTAINMENT_TRACE) log(`    ${round(performance.now() - start, 1)} ms  ${text.replace(/\s+/g, " ").slice(0, 90)}`);
          return result;
        };
      }
      return client;
    },
    end: async () => {},
  } as unknown as pg.Pool;
  return { kysely: kyselyOver(fake), counter };
}

async function main(): Promise<void> {
  const agents = envInt("BENCH_CONTAINMENT_AGENTS", 10_000);
  const pending = envInt("BENCH_CONTAINMENT_PENDING", 2);
  let database: TestDatabase | undefined;
  let pool: pg.Pool | undefined;
  try {
    log(`containment benchmark: ${agents.toLocaleString("en")} agents, ${pending} pending requests each`);
    database = await startTestDatabase();
    // Wake-ups after commit go through the app's pool: point it at this database.
    process.env.DATABASE_URL = database.url;
    process.env.AUTH_SECRET ??= TEST_AUTH_SECRET;
    pool = new pg.Pool({ connectionString: database.url, max: 2 });
    const seedStart = performance.now();
    await seed(pool, agents, pending);
    log(`  seeded in ${round((performance.now() - seedStart) / 1000, 1)} s`);

    const { kysely, counter } = counting(pool);
    const results: Record<string, unknown>[] = [];
    const run = async (label: string, work: () => Promise<{ changed: number; skipped: number; cancelled: number; revoked: number }>) => {
      const before = counter.n;
      const start = performance.now();
      const r = await work();
      const ms = round(performance.now() - start, 1);
      const statements = counter.n - before;
      results.push({ label, ms, statements, ...r });
      log(
        `  ${label}: ${ms} ms, ${statements} statements; ${r.changed.toLocaleString("en")} agents changed, ${r.skipped} skipped, ${r.cancelled.toLocaleString("en")} requests cancelled, ${r.revoked.toLocaleString("en")} grants revoked`,
      );
    };
    const stop = async (selector: { tag: string } | { all: true }) => {
      const r = await suspendAgents({ selector, actor: "bench", reason: "bench", on: kysely });
      return {
        changed: r.stopped.length,
        skipped: r.skipped.length,
        cancelled: r.stopped.reduce((n, s) => n + s.cancelledRequests.length, 0),
        revoked: r.stopped.reduce((n, s) => n + s.revokedGrants, 0),
      };
    };
    const resume = async (selector: { tag: string } | { all: true }) => {
      const r = await resumeAgents({ selector, actor: "bench", on: kysely });
      return { changed: r.resumed.length, skipped: r.skipped.length, cancelled: 0, revoked: 0 };
    };
    await run("suspend tag finance", () => stop({ tag: "finance" }));
    await run("resume tag finance", () => resume({ tag: "finance" }));
    await run("suspend all", () => stop({ all: true }));
    await run("resume all", () => resume({ all: true }));

    const out = { machine: machineInfo("PostgreSQL (embedded)", "n/a"), agents, pendingPerAgent: pending, results };
    const dir = path.join(PROJECT_ROOT, "bench", "results");
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, "containment.json"), `${JSON.stringify(out, null, 2)}\n`);
  } finally {
    await closeHub();
    await disconnectDb();
    await pool?.end();
    await database?.stop();
  }
}

await main();
