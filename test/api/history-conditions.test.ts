import { sql } from "kysely";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createAdminToken } from "../../lib/admin-tokens/admin-tokens.ts";
import { db } from "../../lib/db.ts";
import { closeHub } from "../../lib/events/hub.ts";
import { loadHistorySnapshot, pruneApprovalHistory } from "../../lib/history/approval-history.ts";
import { type HistoryNeed, historyKey, windowStart } from "../../lib/policy/history-conditions.ts";
import { createRule } from "../../lib/policy/rules.ts";
import { simulateRule } from "../../lib/policy/simulate.ts";
import {
  agentFetch,
  baseUrl,
  concurrently,
  createPending,
  decide,
  expectProblem,
  newAgent,
  newUser,
  reviewerFetch,
  sampleRequest,
  signIn,
  type TestAgent,
  unique,
} from "../support/fixtures.ts";

// Cumulative limits (API 1.1): history.count / history.sum in rule conditions
// read the agent's approved requests (by people or allowed by policy, the
// current request excluded) from maintained 5-minute buckets.

const LIMIT = 'history.sum("payments.refund", "amount", duration("24h")) + params.amount <= 1000';
let cookie: string;
let adminToken: string;

beforeAll(async () => {
  cookie = await signIn(await newUser("reviewer"));
  ({ token: adminToken } = await createAdminToken({ name: unique("ci"), actor: "test" }));
});
afterAll(async () => {
  await closeHub();
});

async function rule(agents: TestAgent[], definition: Record<string, unknown>) {
  await createRule({ definition: { name: unique("h"), agents: { names: agents.map((a) => a.name) }, ...definition }, position: 0, actor: "test" });
}

async function create(agent: TestAgent, overrides: Record<string, unknown>): Promise<any> {
  const res = await agentFetch(agent.key, "/api/v1/requests", { method: "POST", json: sampleRequest(overrides) });
  expect(res.status).toBe(201);
  return res.json();
}
const refund = (agent: TestAgent, amount: number) => create(agent, { params: { amount, currency: "USD" } });

describe("history.sum over approvals", () => {
  let agent: TestAgent;
  let other: TestAgent;
  beforeAll(async () => {
    [agent, other] = await Promise.all([newAgent(), newAgent()]);
    await rule([agent, other], { actions: ["payments.refund"], effect: "allow", condition: LIMIT });
  });

  it("counts policy allows and people's approvals, never the current request, and not other agents'", async () => {
    // 600 alone: allowed (were the request itself counted, 1200 would not be).
    expect((await refund(agent, 600)).status).toBe("approved");
    expect((await refund(agent, 400)).status).toBe("approved"); // 600 + 400 = 1000
    const over = await refund(agent, 1);
    expect(over.status).toBe("pending"); // 1001
    expect((await decide(cookie, over.id, "approve", "ok")).status).toBe(200);
    // The approval by a person counts too: now 1001, so a request for 0 is over as well.
    expect((await refund(agent, 0)).status).toBe("pending");
    // Another agent under the same rule has its own history.
    expect((await refund(other, 1000)).status).toBe("approved");
    expect((await refund(other, 1)).status).toBe("pending");
    // Denied and pending requests are not history.
    const rows = await db()
      .selectFrom("approvalHistory")
      .select(["name", sql<number>`sum(approvals)::int`.as("approvals"), sql<number>`sum(total)`.as("total")])
      .where("agentId", "=", agent.agentId)
      .groupBy("name")
      .orderBy("name")
      .execute();
    expect(rows).toEqual([
      { name: "", approvals: 3, total: 3 },
      { name: "amount", approvals: 3, total: 1001 },
    ]);
  });

  it("sums amended params as approved", async () => {
    const a = await newAgent();
    // Transfers are allowed while approved refunds stay at most 200 a day; refunds need a person, who may change the amount.
    await rule([a], { actions: ["payments.refund"], effect: "require_approval", reviewers_may_edit: ["amount"] });
    await rule([a], { actions: ["payments.transfer"], effect: "allow", condition: 'history.sum("payments.refund", "amount", duration("24h")) <= 200' });
    const asked = await refund(a, 500);
    expect(asked.status).toBe("pending");
    const res = await reviewerFetch(cookie, `/api/v1/requests/${asked.id}/decisions`, {
      method: "POST",
      json: { decision: "approve", reason: "only 150 is owed", params: { amount: 150, currency: "USD" } },
    });
    expect(res.status).toBe(200);
    expect((await create(a, { action: "payments.transfer", params: { amount: 5 } })).status).toBe("approved"); // 150, not 500
    const again = await refund(a, 100);
    expect((await decide(cookie, again.id, "approve", "ok")).status).toBe(200);
    expect((await create(a, { action: "payments.transfer", params: { amount: 5 } })).status).toBe("pending"); // 250
  });
});

describe("history.count and its window", () => {
  it("counts the agent's approvals of every action the pattern matches", async () => {
    const a = await newAgent();
    await rule([a], { actions: ["reports.*"], effect: "allow", condition: 'history.count("reports.*", duration("1h")) < 2' });
    const report = () => create(a, { action: "reports.daily", params: {} });
    expect((await report()).status).toBe("approved");
    expect((await create(a, { action: "reports.weekly", params: {} })).status).toBe("approved");
    expect((await report()).status).toBe("pending");
  });

  it("starts a window at the bucket holding now - window: that bucket counts, the one before does not", async () => {
    // History is only ever added at the time of an approval (instances keep
    // snapshots on that promise); older rows are placed here before the
    // agent's first request, as if approved then.
    const a = await newAgent();
    await rule([a], { actions: ["reports.*"], effect: "allow", condition: 'history.count("reports.*", duration("1h")) < 2' });
    const first = Math.floor((Date.now() - 3_600_000) / 300_000) * 300_000;
    await sql`INSERT INTO approval_history (agent_id, action, name, bucket, approvals, total) VALUES
      (${a.agentId}, 'reports.daily', '', ${new Date(first - 300_000).toISOString()}::timestamptz, 2, 2),
      (${a.agentId}, 'reports.weekly', '', ${new Date(first).toISOString()}::timestamptz, 1, 1)`.execute(db());
    const report = () => create(a, { action: "reports.daily", params: {} });
    expect((await report()).status).toBe("approved"); // 1: the two before the window are not counted
    expect((await report()).status).toBe("pending"); // 1 in the window's first bucket + 1 just now = 2
  });
});

describe("the prefetch of many windows", () => {
  it("gives every window over shared buckets the same total as summing its buckets one by one", async () => {
    const a = await newAgent();
    const now = new Date();
    // 12 hours of buckets over three actions, with uneven totals, some buckets empty.
    const rows: { action: string; name: string; bucket: Date; total: number }[] = [];
    for (let b = 0; b < 144; b++) {
      const bucket = new Date(Math.floor(now.getTime() / 300_000) * 300_000 - b * 300_000);
      for (const action of ["payments.refund", "payments.charge", "ops.deploy"]) {
        if ((b + action.length) % 5 === 0) continue;
        rows.push({ action, name: "", bucket, total: 1 + (b % 3) }, { action, name: "amount", bucket, total: ((b * 37) % 101) + 0.5 });
      }
    }
    await sql`INSERT INTO approval_history (agent_id, action, name, bucket, approvals, total)
      SELECT ${a.agentId}, r.action, r.name, r.bucket, CASE WHEN r.name = '' THEN r.total::int ELSE 1 END, r.total
        FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS r(action text, name text, bucket timestamptz, total float8)`.execute(db());
    const windows = [60_000, 3_600_000, 5_400_000, 7_200_000, 12_345_000, 36_000_000, 86_400_000];
    const needs: HistoryNeed[] = windows.flatMap((windowMs) => [
      { kind: "count", pattern: "payments.*", name: "", windowMs },
      { kind: "count", pattern: "*", name: "", windowMs },
      { kind: "sum", pattern: "payments.refund", name: "amount", windowMs },
      { kind: "sum", pattern: "ops.deploy", name: "amount", windowMs },
      { kind: "sum", pattern: "nothing.here", name: "amount", windowMs },
    ]);
    const snapshot = await loadHistorySnapshot(db(), a.agentId, needs, now);
    const matches = (pattern: string, action: string) =>
      pattern === "*" || (pattern.endsWith(".*") ? action.startsWith(pattern.slice(0, -1)) : action === pattern);
    for (const need of needs) {
      const since = windowStart(now, need.windowMs).getTime();
      const expected = rows
        .filter((r) => r.name === need.name && matches(need.pattern, r.action) && r.bucket.getTime() >= since)
        .reduce((sum, r) => sum + r.total, 0);
      const got = snapshot.totals.get(historyKey(need));
      if (need.kind === "count") expect(got, historyKey(need)).toBe(BigInt(expected));
      else expect(Number(got), historyKey(need)).toBeCloseTo(expected, 6);
    }
    // The guard's figure: the approvals (any action) of the current bucket and the one before, where one landing meanwhile would be.
    const recent = Math.floor(now.getTime() / 300_000) * 300_000 - 300_000;
    expect(snapshot.since.getTime()).toBe(recent);
    expect(snapshot.approvals).toBe(rows.filter((r) => r.name === "" && r.bucket.getTime() >= recent).reduce((sum, r) => sum + r.total, 0));
  });
});

describe("when history is unavailable", () => {
  it("fails closed: an allow with a history condition does not match, and the request says why", async () => {
    const a = await newAgent();
    await rule([a], { actions: ["payments.refund"], effect: "allow", condition: LIMIT });
    // Two buckets whose sum overflows: the history query fails for this agent only.
    await sql`INSERT INTO approval_history (agent_id, action, name, bucket, approvals, total) VALUES
      (${a.agentId}, 'payments.refund', 'amount', date_trunc('hour', now()), 1, 1e308),
      (${a.agentId}, 'payments.refund', 'amount', date_trunc('hour', now()) - interval '1 hour', 1, 1e308)`.execute(db());
    const created = await refund(a, 1);
    expect(created.status).toBe("pending");
    const e = await db()
      .selectFrom("auditEvents")
      .select("data")
      .where("requestId", "=", created.id)
      .where("type", "=", "request.created")
      .executeTakeFirstOrThrow();
    expect((e.data as { condition_errors: unknown[] }).condition_errors).toEqual([
      expect.objectContaining({ error: expect.stringMatching(/history is unavailable/), treated_as: "no_match" }),
    ]);
  });
});

describe("saving a rule with history functions", () => {
  const post = (condition: string) =>
    fetch(`${baseUrl()}/api/v1/admin/policies/rules`, {
      method: "POST",
      headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
      // Selects no real agent: a name no agent has.
      body: JSON.stringify({ name: unique("bad"), agents: { names: [unique("nobody")] }, actions: ["payments.refund"], effect: "allow", condition }),
    });

  it("refuses wrong argument types, bad patterns and bad windows with 422 naming the problem", async () => {
    const cases: [string, RegExp][] = [
      ['history.count(params.kind, duration("1h")) < 3', /pattern of history.count must be a string literal/],
      ['history.count("Payments/*", duration("1h")) < 3', /'Payments\/\*' is not an action pattern/],
      ['history.count("payments.*", duration("-1h")) < 3', /between 1m and 744h/],
      ['history.count("payments.*", duration("10000h")) < 3', /between 1m and 744h/],
      ['history.sum("payments.*", 5, duration("1h")) < 3', /parameter name of history.sum must be a non-empty string literal/],
      ['history.sum("payments.*", "amount", duration("1h")) == "lots"', /cannot be applied to double and string/],
    ];
    for (const [condition, message] of cases) {
      const problem = await expectProblem(await post(condition), 422, "validation_failed");
      expect(problem.errors?.[0], condition).toMatchObject({ path: "condition", message: expect.stringMatching(message) });
    }
    expect((await post(LIMIT)).status).toBe(201);
  });
});

describe("retention", () => {
  it("prunes buckets no window can reach (older than 31 days and a bucket), keeping the rest", async () => {
    const a = await newAgent();
    await sql`INSERT INTO approval_history (agent_id, action, name, bucket, approvals, total) VALUES
      (${a.agentId}, 'payments.refund', '', date_bin('5 minutes', now() - interval '32 days', 'epoch'), 1, 1),
      (${a.agentId}, 'payments.refund', '', date_bin('5 minutes', now() - interval '30 days', 'epoch'), 1, 1)`.execute(db());
    expect(await pruneApprovalHistory()).toBeGreaterThanOrEqual(1);
    const left = await db().selectFrom("approvalHistory").select("bucket").where("agentId", "=", a.agentId).execute();
    expect(left).toHaveLength(1);
    expect(Date.now() - left[0].bucket.getTime()).toBeLessThan(31 * 86_400_000);
  });
});

describe("the policy simulator", () => {
  it("replays recent requests with their agent's history as of each (the buckets before theirs), the sample with the history of now", async () => {
    const a = await newAgent();
    const bucket = (ms: number) => new Date(Math.floor(ms / 300_000) * 300_000).toISOString();
    // 900 approved an hour ago (placed before the agent's first request, as if approved then).
    await sql`INSERT INTO approval_history (agent_id, action, name, bucket, approvals, total) VALUES
      (${a.agentId}, 'payments.refund', '', ${bucket(Date.now() - 3_600_000)}::timestamptz, 2, 2),
      (${a.agentId}, 'payments.refund', 'amount', ${bucket(Date.now() - 3_600_000)}::timestamptz, 2, 900)`.execute(db());
    const small = await refund(a, 50);
    const big = await refund(a, 300);
    // 500 more approved since those requests were made: not their history, but the sample's.
    await sql`INSERT INTO approval_history (agent_id, action, name, bucket, approvals, total) VALUES
      (${a.agentId}, 'payments.refund', '', ${bucket(Date.now())}::timestamptz, 1, 1),
      (${a.agentId}, 'payments.refund', 'amount', ${bucket(Date.now())}::timestamptz, 1, 500)`.execute(db());
    const results = await simulateRule({
      draft: {
        name: unique("daily-limit"),
        enabled: true,
        actions: ["payments.refund"],
        agents: { names: [a.name] },
        effect: "deny",
        reason: "over the daily limit",
        condition: 'history.sum("payments.refund", "amount", duration("24h")) + params.amount > 1000',
      },
      lastN: 500,
      sample: { action: "payments.refund", params: { amount: 1 }, agent: { id: a.agentId, name: a.name } },
    });
    const of = (source: string) => results.find((r) => r.source === source);
    expect(of(small.id)).toMatchObject({ draft_matches: false, draft_condition_error: null }); // 900 + 50
    expect(of(big.id)).toMatchObject({ draft_matches: true, draft_condition_error: null, with_draft: { effect: "deny" } }); // 900 + 300
    expect(of("sample")).toMatchObject({ draft_matches: true, draft_condition_error: null }); // 900 + 500 + 1
  });
});

describe("a person's approval and the history guard", () => {
  it("waits for the agent's history lock, so a create's guard (which takes it, then counts) either sees the approval or landed before it", async () => {
    const a = await newAgent();
    const { id } = await createPending(a);
    const holder = new pg.Client({ connectionString: inject("databaseUrl") });
    await holder.connect();
    try {
      await holder.query("BEGIN");
      await holder.query("SELECT pg_advisory_xact_lock(hashtext('countersign.history'), hashtext($1))", [a.agentId]);
      const approving = decide(cookie, id, "approve", "ok");
      // The approval's transaction waits for the lock: seen in pg_locks, and nothing of it committed yet.
      await expect
        .poll(
          async () =>
            (
              await holder.query(
                `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted
                    AND objid::bigint = (hashtext($1)::bigint & 4294967295) AND classid::bigint = (hashtext('countersign.history')::bigint & 4294967295)`,
                [a.agentId],
              )
            ).rows[0].n,
          { timeout: 10_000 },
        )
        .toBe(1);
      const before = await db().selectFrom("actionRequests").select("status").where("id", "=", id).executeTakeFirstOrThrow();
      expect(before.status).toBe("pending");
      await holder.query("COMMIT");
      expect((await approving).status).toBe(200);
      const history = await db().selectFrom("approvalHistory").select("approvals").where("agentId", "=", a.agentId).where("name", "=", "").execute();
      expect(history.map((h) => h.approvals)).toEqual([1]);
    } finally {
      await holder.query("ROLLBACK").catch(() => {});
      await holder.end();
    }
  });
});

describe("concurrent creates against a limit", () => {
  it("20 parallel requests of 100 under a 1000 limit: exactly 10 are allowed", async () => {
    const a = await newAgent();
    await rule([a], { actions: ["payments.refund"], effect: "allow", condition: LIMIT });
    const results = await concurrently(20, (i) => create(a, { params: { amount: 100, note: `refund ${i}` } }));
    const approved = results.filter((r) => r.status === "approved").length;
    expect(approved).toBe(10);
    expect(results.filter((r) => r.status === "pending")).toHaveLength(10);
    const total = await db()
      .selectFrom("approvalHistory")
      .select(sql<number>`sum(total)`.as("t"))
      .where("agentId", "=", a.agentId)
      .where("name", "=", "amount")
      .executeTakeFirstOrThrow();
    expect(total.t).toBe(1000);
  });
});
