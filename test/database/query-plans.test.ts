import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EmbeddedDatabase, startEmbeddedPostgres } from "../../lib/runtime/embedded-postgres.ts";
import { migrate } from "../../lib/runtime/migrate.ts";
import { freePort } from "../support/test-server.ts";

// The counting functions of the create path must keep using the agent's index
// as tables grow. A SQL function's plan is cached in its session, and the
// app's connections live long: a plan made on a new installation's empty
// tables, before any ANALYZE, once scanned every agent's pending requests for
// each create (PostgreSQL time per create grew from 4 to 25 ms in minutes).
// Migration 20261203060000_pending_by_agent_index: without it, the first test
// fails with that plan.
// A database of this suite's own, so its tables really start empty.

let dataDir: string;
let database: EmbeddedDatabase | undefined;
let session: pg.Client;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), "countersign-plans-"));
  database = await startEmbeddedPostgres({ dataDir, port: await freePort(), create: true });
  await migrate(database.url);
  session = new pg.Client({ connectionString: database.url });
  await session.connect();
}, 120_000);

afterAll(async () => {
  await session?.end();
  await database?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** The plan of each statement the function runs, as auto_explain reports it for one call in this session. */
async function nestedPlans(call: string, params: unknown[]): Promise<string[]> {
  const plans: string[] = [];
  const onNotice = (n: { message?: string }) => plans.push(n.message ?? "");
  session.on("notice", onNotice);
  try {
    await session.query("LOAD 'auto_explain'");
    await session.query(
      "SET auto_explain.log_min_duration = 0; SET auto_explain.log_nested_statements = on; SET auto_explain.log_analyze = on; SET auto_explain.log_level = notice",
    );
    await session.query(call, params);
    await session.query("SET auto_explain.log_min_duration = -1");
  } finally {
    session.off("notice", onNotice);
  }
  return plans.filter((p) => !p.includes(call));
}

/** `perAgent` pending requests for each of agents agt_plan1 … agt_plan<agents> (created as needed). */
async function addPendingRequests(agents: number, perAgent: number): Promise<void> {
  await session.query(
    `INSERT INTO agents (id, name) SELECT 'agt_plan' || g, 'plan-agent-' || g FROM generate_series(1, $1::int) g ON CONFLICT (id) DO NOTHING`,
    [agents],
  );
  await session.query(
    `INSERT INTO action_requests (id, agent_id, action, params, params_sha256, summary, context, status, policy_id, policy_name,
                                  policy_version, policy_effect, approvals_required, grant_ttl_seconds, grant_audience, expires_at, body_sha256)
     SELECT 'req_plan' || a || '_' || r || '_' || $2::int, 'agt_plan' || a, 'payments.refund', '{}', 'x', 'plan test', '{}', 'pending', 'builtin',
            'default', 1, 'require_approval', 1, 300, 'default', now() + interval '1 hour', 'x'
       FROM generate_series(1, $1::int) a CROSS JOIN generate_series(1, $2::int) r`,
    [agents, perAgent],
  );
}

describe("plans of the create path's counting functions", () => {
  it("the pending count uses the agent's index after the table grew, though the session first called it when the table was nearly empty", async () => {
    // The session's first calls: a new installation, a few requests, never analysed.
    await addPendingRequests(3, 2);
    for (let i = 0; i < 10; i++) await session.query("SELECT countersign_pending_count($1, 1000)", [`agt_plan${(i % 3) + 1}`]);
    // Then 40 agents with 100 pending requests each (still no ANALYZE: the first minutes under load).
    await addPendingRequests(40, 100);

    const { rows } = await session.query("SELECT countersign_pending_count($1, 1000)::int AS n", ["agt_plan7"]);
    expect(rows[0].n).toBe(100);
    const plans = await nestedPlans("SELECT countersign_pending_count($1, 1000)", ["agt_plan7"]);
    const count = plans.find((p) => p.includes("FROM action_requests"));
    expect(count, plans.join("\n---\n")).toBeDefined();
    expect(count, count).toContain("action_requests_pending_by_agent_idx");
    // Only this agent's rows are visited: nothing read and thrown away.
    expect(count).not.toContain("Rows Removed by Filter");
  });

  it("the history guard's count uses the agent's key after the table grew, though the session first called it when the table was nearly empty", async () => {
    const since = new Date(Date.now() - 86_400_000).toISOString();
    for (let i = 0; i < 10; i++) await session.query("SELECT countersign_history_approvals($1, $2, true)", [`agt_${i}`, since]);
    await session.query(`
      INSERT INTO approval_history (agent_id, action, name, bucket, approvals, total)
      SELECT 'agt_plan' || a, 'payments.refund', '', date_bin('5 minutes', now(), 'epoch') - b * interval '5 minutes', 1, 1
        FROM generate_series(1, 40) a CROSS JOIN generate_series(0, 200) b`);

    const { rows } = await session.query("SELECT countersign_history_approvals($1, $2, true)::int AS n", ["agt_plan7", since]);
    expect(rows[0].n).toBe(201);
    const plans = await nestedPlans("SELECT countersign_history_approvals($1, $2, true)", ["agt_plan7", since]);
    const count = plans.find((p) => p.includes("FROM approval_history"));
    expect(count, plans.join("\n---\n")).toBeDefined();
    expect(count).toContain("approval_history_pkey");
    expect(count).not.toContain("Rows Removed by Filter");
  });
});
