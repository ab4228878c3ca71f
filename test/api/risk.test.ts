import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db, pool } from "../../lib/db.ts";
import { closeHub } from "../../lib/events/hub.ts";
import { createRule } from "../../lib/policy/rules.ts";
import { simulateRule } from "../../lib/policy/simulate.ts";
import {
  agentFetch,
  concurrently,
  createPending,
  decide,
  getRequest,
  newAgent,
  newUser,
  reviewerFetch,
  signIn,
  unique,
  type TestAgent,
} from "../support/fixtures.ts";

// Risk flags compare a request with its agent's own approved history, so every
// test uses fresh agents; rules select only this suite's agents by name.

let cookie: string;

beforeAll(async () => {
  cookie = await signIn(await newUser("reviewer"));
});
afterAll(async () => {
  await closeHub();
});

async function reviewItem(id: string): Promise<any> {
  const res = await reviewerFetch(cookie, `/api/v1/review/requests/${id}`);
  expect(res.status).toBe(200);
  return res.json();
}

async function create(agent: TestAgent, overrides: Record<string, unknown> = {}): Promise<any> {
  const { id, body } = await createPending(agent, overrides);
  return { ...body, id, review: await reviewItem(id) };
}

async function approve(id: string): Promise<void> {
  const res = await decide(cookie, id, "approve", "looks fine");
  expect(res.status, await res.clone().text()).toBe(200);
}

/** A pending request, approved: it becomes history. */
async function approved(agent: TestAgent, overrides: Record<string, unknown> = {}): Promise<any> {
  const r = await create(agent, overrides);
  await approve(r.id);
  return r;
}

const codes = (r: any) => r.review.risk.flags.map((f: any) => f.code);

describe("risk flags from the agent's own history", () => {
  it("flags the first request for an action, for reviewers only, until one is approved", async () => {
    const agent = await newAgent();
    const first = await create(agent);
    expect(first.review.risk).toEqual({
      score: 25,
      flags: [{ code: "first_action", severity: "medium", explanation: `First time ${agent.name} asks for payments.refund` }],
    });
    // The agent's own view never carries risk signals.
    expect(first).not.toHaveProperty("risk");
    expect(await getRequest(agent, first.id)).not.toHaveProperty("risk");

    const second = await create(agent);
    expect(second.review.risk.flags[0].explanation).toBe(`${agent.name} has asked for payments.refund before, but was never approved for it`);

    await approve(first.id);
    const third = await create(agent);
    expect(third.review.risk).toEqual({ score: 0, flags: [] });
    // Another action is still new.
    expect(codes(await create(agent, { action: "payments.capture" }))).toEqual(["first_action"]);
  });

  it("flags an amount far above what was approved, top level and nested, and keeps the statistics", async () => {
    const agent = await newAgent();
    for (const amount of [500, 2000, 1200]) await approved(agent, { params: { amount, currency: "USD", refund: { fee: 10 } } });
    const stats = await pool().query("SELECT path, n, min, max, mean, m2 FROM risk_param_stats WHERE agent_id = $1 ORDER BY path", [agent.agentId]);
    expect(stats.rows.map((r) => r.path)).toEqual(["amount", "refund.fee"]);
    expect(stats.rows[0]).toMatchObject({ n: 3, min: 500, max: 2000 });
    expect(stats.rows[0].mean).toBeCloseTo(1233.333, 2);
    expect(stats.rows[0].m2).toBeCloseTo(1126666.667, 1); // Σ(x − mean)²

    const usual = await create(agent, { params: { amount: 1500, refund: { fee: 12 } } });
    expect(usual.review.risk.flags).toEqual([]);
    const big = await create(agent, { params: { amount: 50_000, refund: { fee: 100 } } });
    expect(big.review.risk.flags).toEqual([
      { code: "unusual_amount", severity: "high", explanation: "amount 50,000 is 25× the largest approved (2,000)" },
      { code: "unusual_amount", severity: "high", explanation: "refund.fee 100 is 10× the largest approved (10)" },
    ]);
    expect(big.review.risk.score).toBe(90);
  });

  it("flags acting on behalf of someone new", async () => {
    const agent = await newAgent();
    await approved(agent, { context: { on_behalf_of: "alice@example.com" } });
    expect((await create(agent, { context: { on_behalf_of: "Alice@Example.com" } })).review.risk.flags).toEqual([]);
    const bob = await create(agent, { context: { on_behalf_of: "bob@example.com" } });
    expect(bob.review.risk.flags).toEqual([
      {
        code: "new_on_behalf_of",
        severity: "medium",
        explanation: `First time ${agent.name} acts on behalf of bob@example.com: no earlier approved request was for them`,
      },
    ]);
  });

  it("flags a change of environment", async () => {
    const agent = await newAgent();
    await approved(agent, { context: { environment: { name: "staging", runtime: "k8s" } } });
    expect((await create(agent, { context: { environment: { name: "staging", runtime: "k8s" } } })).review.risk.flags).toEqual([]);
    const prod = await create(agent, { context: { environment: { name: "production", runtime: "k8s" } } });
    expect(prod.review.risk.flags).toEqual([
      { code: "new_environment", severity: "medium", explanation: `${agent.name} runs in a new environment: name production (before: staging)` },
    ]);
  });

  it("flags low stated confidence", async () => {
    const agent = await newAgent();
    await approved(agent);
    const r = await create(agent, { context: { confidence: 0.3 } });
    expect(r.review.risk).toEqual({
      score: 10,
      flags: [{ code: "low_confidence", severity: "low", explanation: "The agent states a confidence of 0.3 (below 0.5)" }],
    });
    expect((await create(agent, { context: { confidence: 0.9 } })).review.risk.flags).toEqual([]);
  });

  it("flags hidden and direction-changing characters, and rules can act on them", async () => {
    const agent = await newAgent();
    await approved(agent);
    const r = await create(agent, { params: { amount: 500, to: "acct_\u202e1234_evil\u202c" } });
    expect(r.review.risk).toEqual({
      score: 45,
      flags: [
        {
          code: "hidden_characters",
          severity: "high",
          explanation: "Hidden or direction-changing characters in params.to: U+202E RIGHT-TO-LEFT OVERRIDE, U+202C POP DIRECTIONAL FORMATTING",
        },
      ],
    });
    await createRule({
      definition: {
        name: unique("rule"),
        agents: { names: [agent.name] },
        actions: ["payments.*"],
        condition: '"hidden_characters" in risk.flags',
        effect: "deny",
        reason: "hidden characters",
      },
      position: 0,
      actor: "test",
    });
    expect((await create(agent, { summary: "Refund\u200b $5" })).status).toBe("denied");
    expect((await create(agent, { summary: "Refund $5", params: { note: "line one\nline two" } })).status).toBe("pending");
  });

  it("flags a burst far above the agent's 7-day hourly median", async () => {
    const agent = await newAgent();
    await approved(agent);
    // A week of history, crafted: 2 requests an hour (median 2, about 0.3 per 10 minutes).
    const hour = Math.floor(Date.now() / 3_600_000) * 3_600_000;
    await pool().query(
      `INSERT INTO risk_agent_hourly (agent_id, hour, requests)
       SELECT $1, to_timestamp(($2::bigint - h * 3600000) / 1000.0), 2 FROM generate_series(1, 168) h`,
      [agent.agentId, hour],
    );
    // The approved request above was the first in this 10-minute window (or the one before); 18 more keep under the minimum of 20.
    const quiet = await concurrently(18, () => createPending(agent));
    const risks = await pool().query("SELECT risk FROM action_requests WHERE id = ANY($1::text[])", [quiet.map((q) => q.id)]);
    expect(risks.rows.every((r) => r.risk.flags.length === 0)).toBe(true);
    const spike = await create(agent);
    expect(spike.review.risk.flags).toEqual([{ code: "rate_spike", severity: "high", explanation: expect.any(String) }]);
    expect(spike.review.risk.flags[0].explanation).toMatch(
      new RegExp(`^${agent.name} sent 20 requests in the last (1\\d|20) minutes \\(usually fewer than 1; median 2 an hour over the last 7 days\\)$`),
    );
  });

  it("records the flags in the request's audit event", async () => {
    const agent = await newAgent();
    const r = await create(agent, { context: { confidence: 0.2 } });
    const event = await db().selectFrom("auditEvents").select("data").where("requestId", "=", r.id).where("type", "=", "request.created").executeTakeFirst();
    expect((event!.data as any).risk).toEqual({ score: 50, flags: ["first_action", "low_confidence"] });
  });

  it("stays consistent under concurrent creations and approvals of one agent and action", async () => {
    const agent = await newAgent();
    await createRule({
      definition: { name: unique("rule"), agents: { names: [agent.name] }, actions: ["payments.*"], condition: "params.amount < 100", effect: "allow" },
      position: 0,
      actor: "test",
    });
    const pendings = await concurrently(6, (i) => createPending(agent, { params: { amount: 200 + i } }));
    const results = await Promise.all([
      ...Array.from({ length: 12 }, (_, i) =>
        agentFetch(agent.key, "/api/v1/requests", { method: "POST", json: { action: "payments.refund", summary: "s", params: { amount: i } } }).then(
          (res) => res.status,
        ),
      ),
      ...pendings.map((p) => decide(cookie, p.id, "approve", "ok").then((res) => res.status)),
    ]);
    expect(results.slice(0, 12).every((s) => s === 201)).toBe(true);
    expect(results.slice(12).every((s) => s === 200)).toBe(true);
    const stats = await pool().query("SELECT n, min, max FROM risk_param_stats WHERE agent_id = $1 AND path = 'amount'", [agent.agentId]);
    expect(stats.rows[0]).toEqual({ n: 18, min: 0, max: 205 });
    // Every creation counted once, in its 10-minute windows and in its hours.
    const rate = await pool().query("SELECT current + previous AS recent, hour_count FROM risk_agent_rate WHERE agent_id = $1", [agent.agentId]);
    const flushed = await pool().query("SELECT coalesce(sum(requests), 0)::int AS n FROM risk_agent_hourly WHERE agent_id = $1", [agent.agentId]);
    expect(rate.rows[0].recent).toBe(18);
    expect(rate.rows[0].hour_count + flushed.rows[0].n).toBe(18);
  });
});

describe("rules on risk", () => {
  it("an allow rule on `risk.flags.size() == 0` sends the first request to a reviewer and allows the next", async () => {
    const agent = await newAgent();
    await createRule({
      definition: { name: unique("rule"), agents: { names: [agent.name] }, actions: ["github.merge"], condition: "risk.flags.size() == 0", effect: "allow" },
      position: 0,
      actor: "test",
    });
    const first = await create(agent, { action: "github.merge", params: { pr: 12 } });
    expect(first.status).toBe("pending");
    await approve(first.id);
    const second = await create(agent, { action: "github.merge", params: { pr: 13 } });
    expect(second.status).toBe("approved");
    expect(second.grant.token).toEqual(expect.any(String));
    // An approval by policy is history too: amounts within it stay usual, and a low confidence still gets a person.
    expect((await create(agent, { action: "github.merge", params: { pr: 14 }, context: { confidence: 0.2 } })).status).toBe("pending");
  });

  it('a rule on `"unusual_amount" in risk.flags` requires two approvals', async () => {
    const agent = await newAgent();
    const { ruleId } = await createRule({
      definition: {
        name: unique("rule"),
        agents: { names: [agent.name] },
        actions: ["payments.*"],
        condition: '"unusual_amount" in risk.flags',
        effect: "require_approval",
        approvals_required: 2,
      },
      position: 0,
      actor: "test",
    });
    const usual = await approved(agent, { params: { amount: 100 } });
    expect(usual.policy.approvals_required).toBe(1);
    const unusual = await create(agent, { params: { amount: 10_000 } });
    expect(unusual.policy).toMatchObject({ id: ruleId, approvals_required: 2 });
    expect(codes(unusual)).toEqual(["unusual_amount"]);
  });

  it("simulation replays real requests with the risk recorded when they were created", async () => {
    const agent = await newAgent();
    const r = await create(agent);
    const outcomes = await simulateRule({
      draft: {
        name: unique("draft"),
        enabled: true,
        actions: ["payments.refund"],
        agents: { names: [agent.name] },
        condition: "risk.flags.size() == 0",
        effect: "allow",
      },
      lastN: 500,
    });
    const replayed = outcomes.find((o) => o.source === r.id);
    expect(replayed).toMatchObject({ draft_matches: false, effect_changed: false });
    const flagged = await simulateRule({
      draft: {
        name: unique("draft"),
        enabled: true,
        actions: ["payments.refund"],
        agents: { names: [agent.name] },
        condition: '"first_action" in risk.flags',
        effect: "deny",
      },
      lastN: 500,
    });
    expect(flagged.find((o) => o.source === r.id)).toMatchObject({ draft_matches: true, effect_changed: true });

    // A hand-written sample states its risk; without one it is not assessed, and an allow on risk fails closed.
    const draft = { name: unique("draft"), enabled: true, actions: ["payments.refund"], condition: "risk.flags.size() == 0", effect: "allow" as const };
    const [calm] = await simulateRule({ draft, sample: { action: "payments.refund", risk: { flags: [] } } });
    expect(calm).toMatchObject({ source: "sample", draft_matches: true, with_draft: { effect: "allow" } });
    const [unknown] = await simulateRule({ draft, sample: { action: "payments.refund" } });
    expect(unknown).toMatchObject({ source: "sample", draft_matches: false });
  });
});

describe("the review queue sorted by risk", () => {
  it("puts the highest score first, newest first among equals, a page at a time", async () => {
    const agent = await newAgent();
    const action = `${unique("risk")}.refund`;
    const a = await create(agent, { action }); // first_action: 25
    const b = await create(agent, { action, context: { confidence: 0.1 } }); // + low_confidence (medium): 50
    const c = await create(agent, { action, context: { confidence: 0.4 } }); // + low_confidence (low): 35
    const d = await create(agent, { action }); // 25
    expect([a, b, c, d].map((r) => r.review.risk.score)).toEqual([25, 50, 35, 25]);

    const list = await (await reviewerFetch(cookie, `/api/v1/review/requests?status=pending&action=${action}&sort=risk`)).json();
    expect(list.data.map((r: any) => r.id)).toEqual([b.id, c.id, d.id, a.id]);
    const newest = await (await reviewerFetch(cookie, `/api/v1/review/requests?status=pending&action=${action}`)).json();
    expect(newest.data.map((r: any) => r.id)).toEqual([d.id, c.id, b.id, a.id]);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await reviewerFetch(cookie, `/api/v1/review/requests?status=pending&action=${action}&sort=risk&limit=1${cursor ? `&cursor=${cursor}` : ""}`);
      expect(res.status).toBe(200);
      const page: any = await res.json();
      seen.push(...page.data.map((r: any) => r.id));
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen).toEqual([b.id, c.id, d.id, a.id]);

    const bad = await reviewerFetch(cookie, `/api/v1/review/requests?sort=risk&cursor=${Buffer.from(a.id).toString("base64url")}`);
    expect(bad.status).toBe(422);
  });
});
