/**
 * Reviewer and auditor reads at scale: `node bin/run-ts.mjs bench/reads.ts`
 * (after `npm run build`).
 *
 * On one embedded PostgreSQL, two databases: a small one (BENCH_READS_SMALL,
 * 10,000 requests and as many audit events) as the baseline, and a large one
 * (BENCH_READS_ROWS, 1,000,000 of each). Each fixture is built once with
 * set-based SQL (generate_series: 200 agents, 30 actions, statuses mostly
 * decided with a few thousand pending, varied risk, votes and grants for the
 * decided, audit events of every kind) and reused on later runs: the data
 * folder (BENCH_READS_DIR, default <tmp>/countersign-bench-reads) keeps it,
 * and a marker table says which fixture a database holds. Migrations run on
 * every start, so new indexes apply to a reused fixture.
 *
 * Then, per database, starts the real app (`countersign start`), signs a
 * reviewer and an auditor in, and times BENCH_READS_SAMPLES (200) sequential
 * HTTP requests per read after 20 warm-up ones: the queue, filtered and by
 * risk, the history (first and a deep page, by status, action and agent) and
 * the audit event list with its filters. Prints p50/p95/p99 per read; asserts
 * nothing on timing. BENCH_READS_FRESH=1 rebuilds the fixtures.
 */
import { existsSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { createUser } from "../lib/users/create-user.ts";
import { disconnectDb } from "../lib/db.ts";
import { resetEnv } from "../lib/env.ts";
import { randomSecret } from "../lib/ids.ts";
import { startEmbeddedPostgres } from "../lib/runtime/embedded-postgres.ts";
import { onServer } from "../test/support/scratch-database.ts";
import { migrate, PROJECT_ROOT } from "../lib/runtime/migrate.ts";
import { freePort, startTestApp, TEST_AUTH_SECRET, type TestApp } from "../test/support/test-server.ts";
import { envInt, runBenchmark } from "./harness.ts";
import { keepAliveAgent, parseJson, request } from "./http.ts";
import { seed, signIn, type Reviewer } from "./setup.ts";
import { percentile, round } from "./stats.ts";
import { stopBounded } from "./stop.ts";

const log = (line: string) => process.stdout.write(`${line}\n`);

/** Bump when the fixture's shape changes: a database with another version is rebuilt. */
const FIXTURE_VERSION = 2;

interface Fixture {
  version: number;
  rows: number;
  reviewer: Reviewer;
  auditor: Reviewer;
  agent: { id: string; key: string };
  approverId: string;
}

const adminUrl = (url: string) => url.replace(/\/[^/?]+(\?|$)/, "/postgres$1");

async function readMarker(url: string): Promise<Fixture | null> {
  return onServer(url, async (c) => {
    const { rows } = await c
      .query<{ fixture: Fixture }>("SELECT fixture FROM bench_reads_fixture WHERE to_regclass('bench_reads_fixture') IS NOT NULL LIMIT 1")
      .catch(() => ({ rows: [] as { fixture: Fixture }[] }));
    return rows[0]?.fixture ?? null;
  });
}

/**
 * SQL for a pseudo-random 0..n-1 from an integer expression, skewed towards 0
 * (the square of a uniform hash), so some agents and actions are far busier
 * than others, as in real use, and none correlates with another column.
 */
const pick = (expr: string, n: number) => `floor(${n} * power((hashint4(${expr}) & 2147483647)::float8 / 2147483648, 2))::int`;

/**
 * The fixture in set-based SQL. Request `g` (1..rows) is `req_0…g` (ids sort
 * by g, as real ids sort by time), made by one of 200 agents, for one of 30
 * actions `svcN.op` (both picked by a hash of g, skewed); about half of the
 * newest are pending, the rest approved 70 %, denied 15 %, expired 10 %,
 * cancelled 5 %. Every tenth is routed to a group the bench reviewer is not
 * in. Audit event `g` belongs to request `g` and its agent, of a type and
 * actor picked by a hash of g.
 */
async function buildFixture(url: string, rows: number): Promise<Fixture> {
  process.env.DATABASE_URL = url;
  resetEnv();
  await disconnectDb();
  const { agents, reviewer } = await seed(200);
  const auditor = { email: "bench-auditor@example.test", password: randomSecret(18) };
  await createUser({ email: auditor.email, role: "auditor", name: "Bench Auditor", password: auditor.password, actor: "bench" });
  for (let i = 0; i < 3; i++) await createUser({ email: `bench-approver-${i}@example.test`, role: "reviewer", name: `Approver ${i}`, actor: "bench" });
  await disconnectDb();
  const pending = Math.min(4000, Math.max(100, Math.floor(rows / 100)));
  return onServer(url, async (c) => {
    const step = async (label: string, text: string, values: unknown[] = []) => {
      const t = performance.now();
      const r = await c.query(text, values);
      log(`    ${label}: ${(r.rowCount ?? 0).toLocaleString("en")} rows, ${round((performance.now() - t) / 1000, 1)} s`);
    };
    await c.query("SET maintenance_work_mem = '256MB'");
    await step(
      "action_requests",
      `WITH a AS (SELECT array_agg(id ORDER BY id) AS ids FROM agents WHERE name LIKE 'bench-agent-%'),
            u AS (SELECT array_agg(email ORDER BY email) AS emails FROM users WHERE email LIKE 'bench-approver-%'),
            s AS (
              SELECT g, a.ids[1 + ${pick("g", 200)}] AS agent_id, u.emails[1 + g % 3] AS approver,
                     CASE WHEN g > $1::int - $2::int * 2 AND hashint4(g + 1) % 2 = 0 THEN 'pending'
                          WHEN abs(hashint4(g + 2) % 20) < 14 THEN 'approved' WHEN abs(hashint4(g + 2) % 20) < 17 THEN 'denied'
                          WHEN abs(hashint4(g + 2) % 20) < 19 THEN 'expired' ELSE 'cancelled' END AS status,
                     now() - ($1::int - g) * interval '2.5 seconds' AS created_at,
                     CASE WHEN hashint4(g + 3) % 3 = 0 THEN 0 ELSE abs(hashint4(g + 4) % 101) END AS score
                FROM generate_series(1, $1::int) g, a, u)
       INSERT INTO action_requests (id, agent_id, action, resource, params, params_sha256, summary, justification, context, status,
                                    policy_id, policy_name, policy_version, policy_effect, approvals_required, reviewer_groups,
                                    grant_ttl_seconds, grant_audience, created_at, expires_at, decided_at, decision_by, decision_reason,
                                    body_sha256, risk)
       SELECT 'req_0' || lpad(g::text, 25, '0'), agent_id, 'svc' || ${pick("g + 5", 30)} || '.op', 'customer:cus_' || (g % 9000),
              jsonb_build_object('amount', g % 5000, 'currency', 'USD', 'invoice', 'in_' || g), encode(sha256(g::text::bytea), 'hex'),
              'Refund ' || (g % 5000) || ' USD', 'bench fixture', '{}'::jsonb, status::"RequestStatus",
              'pol_bench', 'bench rule', 1, 'require_approval', 1, CASE WHEN g % 10 = 0 THEN '{finance}'::text[] ELSE '{}'::text[] END,
              300, 'bench', created_at,
              CASE WHEN status = 'pending' THEN now() + interval '1 day' ELSE created_at + interval '15 minutes' END,
              CASE WHEN status = 'pending' THEN NULL WHEN status = 'expired' THEN created_at + interval '15 minutes' ELSE created_at + interval '2 minutes' END,
              CASE status WHEN 'pending' THEN NULL WHEN 'expired' THEN 'system' WHEN 'cancelled' THEN 'agent:' || agent_id ELSE approver END,
              CASE WHEN status IN ('approved', 'denied') THEN 'bench decision' END,
              encode(sha256(('b' || g)::bytea), 'hex'),
              CASE WHEN g % 10 = 5 THEN NULL
                   ELSE jsonb_build_object('score', score, 'flags', CASE WHEN score = 0 THEN '[]'::jsonb
                          ELSE jsonb_build_array(jsonb_build_object('code', 'rate_spike', 'severity', 'medium', 'explanation', 'far more requests than usual')) END) END
         FROM s`,
      [rows, pending],
    );
    await step(
      "votes",
      `INSERT INTO votes (id, request_id, user_id, reviewer_email, decision, reason, created_at)
       SELECT 'vot_' || substr(r.id, 5), r.id, u.id, u.email, CASE r.status WHEN 'approved' THEN 'approve' ELSE 'deny' END::"VoteDecision", 'bench decision', r.decided_at
         FROM action_requests r JOIN users u ON u.email = r.decision_by
        WHERE r.status IN ('approved', 'denied') AND r.id LIKE 'req\\_0%'`,
    );
    await step(
      "grants",
      `INSERT INTO grants (id, request_id, agent_id, kid, audience, approved_by, issued_at, expires_at, redeemed_at)
       SELECT 'grt_' || substr(id, 5), id, agent_id, 'bench', grant_audience, ARRAY[decision_by], decided_at, decided_at + interval '5 minutes',
              CASE WHEN right(id, 1) IN ('0', '2', '4', '6', '8') THEN decided_at + interval '1 minute' END
         FROM action_requests WHERE status = 'approved' AND id LIKE 'req\\_0%'`,
    );
    // Audit events continue the chain's sequence from the head (hashes are placeholders: reads do not verify).
    await step(
      "audit_events",
      `WITH a AS (SELECT array_agg(id ORDER BY id) AS ids FROM agents WHERE name LIKE 'bench-agent-%'),
            u AS (SELECT array_agg(id ORDER BY email) AS ids FROM users WHERE email LIKE 'bench-approver-%'),
            h AS (SELECT seq, hash FROM audit_head WHERE id = 1),
            e AS (
              SELECT g, h.seq + g AS seq, 'req_0' || lpad(g::text, 25, '0') AS request_id, a.ids[1 + ${pick("g", 200)}] AS agent_id,
                     'user:' || u.ids[1 + g % 3] AS user_actor, abs(hashint4(g + 6) % 10) AS k, now() - ($1::int - g) * interval '2.5 seconds' AS at,
                     CASE WHEN g = 1 THEN h.hash ELSE encode(sha256((g - 1)::text::bytea), 'hex') END AS prev_hash
                FROM generate_series(1, $1::int) g, a, u, h)
       INSERT INTO audit_events (seq, type, actor, request_id, agent_id, data, occurred_at, prev_hash, hash)
       SELECT seq,
              CASE WHEN k < 4 THEN 'request.created' WHEN k < 6 THEN 'request.approved' WHEN k = 6 THEN 'request.denied' WHEN k = 7 THEN 'grant.redeemed'
                   WHEN k = 8 THEN 'request.expired' WHEN g % 50 = 49 THEN 'admin_token.created' ELSE 'user.signed_in' END,
              CASE WHEN k < 4 OR k = 7 THEN 'agent:' || agent_id WHEN k < 7 THEN user_actor WHEN k = 8 THEN 'system'
                   WHEN g % 50 = 49 THEN 'admin_token:tok_bench' ELSE user_actor END,
              CASE WHEN k < 9 THEN request_id END, CASE WHEN k < 9 THEN agent_id END,
              jsonb_build_object('i', g, 'note', 'bench fixture'), at, prev_hash, encode(sha256(g::text::bytea), 'hex')
         FROM e`,
      [rows],
    );
    await c.query(
      `UPDATE audit_head SET seq = last.seq, prev = last.prev_hash, hash = last.hash
         FROM (SELECT seq, prev_hash, hash FROM audit_events ORDER BY seq DESC LIMIT 1) last WHERE audit_head.id = 1`,
    );
    const t = performance.now();
    await c.query("VACUUM ANALYZE");
    log(`    vacuum analyze: ${round((performance.now() - t) / 1000, 1)} s`);
    // The busiest agent (the lowest id: the skewed pick favours the first).
    const agent = agents.reduce((m, a) => (a.agentId < m.agentId ? a : m));
    const { rows: approver } = await c.query<{ id: string }>("SELECT id FROM users WHERE email = 'bench-approver-1@example.test'");
    const fixture: Fixture = { version: FIXTURE_VERSION, rows, reviewer, auditor, agent: { id: agent.agentId, key: agent.key }, approverId: approver[0].id };
    await c.query("CREATE TABLE bench_reads_fixture (fixture jsonb NOT NULL)");
    await c.query("INSERT INTO bench_reads_fixture VALUES ($1)", [fixture]);
    return fixture;
  });
}

/** The database `reads_<rows>` on the cluster, migrated, with its fixture (built unless a matching one is there). */
async function ensureDatabase(clusterUrl: string, rows: number): Promise<{ url: string; fixture: Fixture }> {
  const name = `reads_${rows}`;
  const url = clusterUrl.replace(/\/[^/?]+(\?|$)/, `/${name}$1`);
  const exists = await onServer(adminUrl(clusterUrl), async (c) => (await c.query("SELECT 1 FROM pg_database WHERE datname = $1", [name])).rowCount === 1);
  const marker = exists ? await readMarker(url) : null;
  const reuse = marker?.version === FIXTURE_VERSION && marker.rows === rows;
  if (!reuse) {
    // No fixture, another one, or a build that stopped half-way: start from an empty database.
    await onServer(adminUrl(clusterUrl), async (c) => {
      if (exists) await c.query(`DROP DATABASE "${name}" WITH (FORCE)`);
      await c.query(`CREATE DATABASE "${name}"`);
    });
  }
  let t = performance.now();
  await migrate(url);
  log(`  ${name}: migrated in ${round((performance.now() - t) / 1000, 1)} s`);
  if (reuse && marker) {
    await onServer(url, (c) => c.query("VACUUM ANALYZE"));
    log(`  ${name}: reusing the fixture of ${rows.toLocaleString("en")} requests`);
    return { url, fixture: marker };
  }
  log(`  ${name}: building the fixture (${rows.toLocaleString("en")} requests and audit events)`);
  t = performance.now();
  const fixture = await buildFixture(url, rows);
  log(`  ${name}: built in ${round((performance.now() - t) / 1000, 1)} s`);
  return { url, fixture };
}

interface Read {
  name: string;
  path: string;
  as: "reviewer" | "auditor" | "agent";
}

/** Follows `next_cursor` `pages` times from `path`; answers the path of the page reached. */
async function deepPage(get: (p: string) => Promise<{ next_cursor: string | null }>, path0: string, pages: number): Promise<string> {
  let p = path0;
  for (let i = 0; i < pages; i++) {
    const body = await get(p);
    if (!body.next_cursor) break;
    p = `${path0}${path0.includes("?") ? "&" : "?"}cursor=${encodeURIComponent(body.next_cursor)}`;
  }
  return p;
}

async function measure(app: TestApp, fixture: Fixture, samples: number): Promise<{ name: string; p50: number; p95: number; p99: number; items: number }[]> {
  const agent = keepAliveAgent();
  const headers = {
    reviewer: { cookie: await signIn(app.url, fixture.reviewer) },
    auditor: { cookie: await signIn(app.url, fixture.auditor) },
    agent: { authorization: `Bearer ${fixture.agent.key}` },
  };
  const get = async (as: Read["as"], p: string) => {
    const res = await request(`${app.url}${p}`, { agent, headers: headers[as] });
    if (res.status !== 200) throw new Error(`GET ${p}: ${res.status} ${res.body.slice(0, 300)}`);
    return parseJson<{ data: unknown[]; next_cursor: string | null }>(res);
  };
  const reads: Read[] = [
    { name: "queue (pending), first page of 100", path: "/api/v1/review/requests?status=pending&limit=100", as: "reviewer" },
    { name: "queue by action", path: "/api/v1/review/requests?status=pending&limit=100&action=svc7.op", as: "reviewer" },
    { name: "queue by agent (the agent's list)", path: "/api/v1/requests?status=pending", as: "agent" },
    { name: "queue by risk", path: "/api/v1/review/requests?status=pending&limit=100&sort=risk", as: "reviewer" },
    { name: "history (decided), first page", path: "/api/v1/review/requests?status=decided", as: "reviewer" },
    { name: "history, page 40", path: await deepPage((p) => get("reviewer", p), "/api/v1/review/requests?status=decided", 39), as: "reviewer" },
    { name: "history, all statuses", path: "/api/v1/review/requests", as: "reviewer" },
    { name: "history by status approved", path: "/api/v1/review/requests?status=approved", as: "reviewer" },
    { name: "history by status expired", path: "/api/v1/review/requests?status=expired", as: "reviewer" },
    { name: "history by status cancelled", path: "/api/v1/review/requests?status=cancelled", as: "reviewer" },
    { name: "history by action", path: "/api/v1/review/requests?status=decided&action=svc11.op", as: "reviewer" },
    { name: "history by risk", path: "/api/v1/review/requests?status=decided&sort=risk", as: "reviewer" },
    {
      name: "history by risk, page 40",
      path: await deepPage((p) => get("reviewer", p), "/api/v1/review/requests?status=decided&sort=risk", 39),
      as: "reviewer",
    },
    { name: "history by agent (the agent's list)", path: "/api/v1/requests", as: "agent" },
    { name: "history by agent and status", path: "/api/v1/requests?status=denied", as: "agent" },
    { name: "audit events, first page", path: "/api/v1/admin/audit/events", as: "auditor" },
    { name: "audit events, page 40", path: await deepPage((p) => get("auditor", p), "/api/v1/admin/audit/events", 39), as: "auditor" },
    { name: "audit by type", path: "/api/v1/admin/audit/events?type=request.denied", as: "auditor" },
    { name: "audit by type prefix", path: "/api/v1/admin/audit/events?type=grant.*", as: "auditor" },
    { name: "audit by rare type", path: "/api/v1/admin/audit/events?type=admin_token.created", as: "auditor" },
    { name: "audit by actor", path: `/api/v1/admin/audit/events?actor=user:${fixture.approverId}`, as: "auditor" },
    { name: "audit by actor kind", path: "/api/v1/admin/audit/events?actor=system", as: "auditor" },
    { name: "audit by rare actor kind", path: "/api/v1/admin/audit/events?actor=admin_token", as: "auditor" },
    { name: "audit by agent", path: `/api/v1/admin/audit/events?agent=${fixture.agent.id}`, as: "auditor" },
    { name: "audit by request", path: `/api/v1/admin/audit/events?request=req_0${String(Math.floor(fixture.rows / 2)).padStart(25, "0")}`, as: "auditor" },
    {
      name: "audit by time window",
      path: `/api/v1/admin/audit/events?since=${encodeURIComponent(new Date(Date.now() - 86_400_000).toISOString())}&until=${encodeURIComponent(new Date(Date.now() - 43_200_000).toISOString())}`,
      as: "auditor",
    },
    { name: "audit by agent and type", path: `/api/v1/admin/audit/events?agent=${fixture.agent.id}&type=request.approved`, as: "auditor" },
  ];
  const out = [];
  for (const r of reads) {
    let items = 0;
    for (let i = 0; i < 20; i++) items = (await get(r.as, r.path)).data.length;
    const times: number[] = [];
    for (let i = 0; i < samples; i++) {
      const t = performance.now();
      await get(r.as, r.path);
      times.push(performance.now() - t);
    }
    out.push({ name: r.name, p50: round(percentile(times, 50), 2), p95: round(percentile(times, 95), 2), p99: round(percentile(times, 99), 2), items });
  }
  agent.destroy();
  return out;
}

async function main(): Promise<void> {
  const large = envInt("BENCH_READS_ROWS", 1_000_000);
  const small = envInt("BENCH_READS_SMALL", 10_000);
  const samples = envInt("BENCH_READS_SAMPLES", 200);
  const distDir = process.env.NEXT_DIST_DIR || ".next";
  if (!existsSync(path.join(PROJECT_ROOT, distDir, "BUILD_ID"))) throw new Error(`no production build in ${distDir}/: run \`npm run build\` first`);
  const dataDir = process.env.BENCH_READS_DIR || path.join(tmpdir(), "countersign-bench-reads");
  if (process.env.BENCH_READS_FRESH === "1") rmSync(dataDir, { recursive: true, force: true });
  log(`reads benchmark: ${small.toLocaleString("en")} and ${large.toLocaleString("en")} requests, ${samples} sequential requests per read; data in ${dataDir}`);
  const cluster = await startEmbeddedPostgres({ dataDir, port: await freePort(), create: true });
  let app: TestApp | undefined;
  try {
    process.env.AUTH_SECRET ??= TEST_AUTH_SECRET;
    const databases = [];
    for (const rows of [small, large]) databases.push({ rows, ...(await ensureDatabase(cluster.url, rows)) });
    if (process.env.BENCH_READS_FIXTURE_ONLY === "1") return;
    const results = new Map<number, Awaited<ReturnType<typeof measure>>>();
    for (const d of databases) {
      app = await startTestApp(d.url, { NEXT_DIST_DIR: distDir, COUNTERSIGN_AGENT_RATE_PER_MINUTE: "100000000", LOG_LEVEL: "warn" });
      log(
        `  measuring ${d.rows.toLocaleString("en")} requests (load average before: ${loadavg()
          .map((l) => l.toFixed(1))
          .join(", ")})...`,
      );
      results.set(d.rows, await measure(app, d.fixture, samples));
      log(
        `  done (load average after: ${loadavg()
          .map((l) => l.toFixed(1))
          .join(", ")}; the machine is shared, so compare the two sizes of one run)`,
      );
      await stopBounded(app, log);
      app = undefined;
    }
    const base = results.get(small)!;
    const big = results.get(large)!;
    log(`\n| read | items | ${small.toLocaleString("en")} rows p50 / p95 / p99 ms | ${large.toLocaleString("en")} rows p50 / p95 / p99 ms |`);
    log("|---|---|---|---|");
    for (const [i, r] of big.entries()) {
      const b = base[i];
      log(`| ${r.name} | ${r.items} | ${b.p50} / ${b.p95} / ${b.p99} | ${r.p50} / **${r.p95}** / ${r.p99} |`);
    }
  } finally {
    if (app) await stopBounded(app, log);
    await disconnectDb().catch(() => {});
    await cluster.stop().catch((e: Error) => log(`database stop failed: ${e.message}`));
  }
}

runBenchmark("reads", main);
