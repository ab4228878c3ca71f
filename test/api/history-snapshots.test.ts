import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { db } from "../../lib/db.ts";
import { closeHub } from "../../lib/events/hub.ts";
import { historyApproved, loadHistorySnapshot, recentHistorySnapshot, recordApprovalHistory } from "../../lib/history/approval-history.ts";
import { HISTORY_BUCKET_MS, type HistoryNeed } from "../../lib/policy/history-conditions.ts";
import { createRule } from "../../lib/policy/rules.ts";
import { agentFetch, concurrently, newAgent, sampleRequest, type TestAgent, unique } from "../support/fixtures.ts";
import { startTestApp, type TestApp } from "../support/test-server.ts";

// Creates whose rules read history (history.count/history.sum) evaluate with
// a snapshot of the agent's totals that the instance keeps while its windows
// have not moved; the create's guard makes a stale one harmless. These tests
// prove that: in process against PostgreSQL, and over HTTP with two instances
// of the app sharing one database, each keeping its own snapshots.

afterAll(async () => {
  await closeHub();
});

describe("a kept snapshot, in process", () => {
  const needs: HistoryNeed[] = [
    { kind: "count", pattern: "payments.*", name: "", windowMs: 3_600_000 },
    { kind: "count", pattern: "*", name: "", windowMs: 60_000 },
    { kind: "sum", pattern: "payments.refund", name: "amount", windowMs: 86_400_000 },
    { kind: "sum", pattern: "payments.refund", name: "fee", windowMs: 86_400_000 },
    { kind: "sum", pattern: "ops.deploy", name: "amount", windowMs: 3_600_000 },
  ];

  it("is reused while every window starts where it did, and read again once one moved", async () => {
    const a = await newAgent();
    const now = new Date();
    expect((await recentHistorySnapshot(a.agentId, needs, now, { reuse: true })).reused).toBe(false);
    const again = await recentHistorySnapshot(a.agentId, needs, now, { reuse: true });
    expect(again.reused).toBe(true);
    // Asked not to reuse (a create whose kept snapshot lost its guard): read.
    expect((await recentHistorySnapshot(a.agentId, needs, now, { reuse: false })).reused).toBe(false);
    // A bucket later every window starts a bucket later: read.
    const later = new Date(now.getTime() + HISTORY_BUCKET_MS);
    expect((await recentHistorySnapshot(a.agentId, needs, later, { reuse: true })).reused).toBe(false);
  });

  it("carried forward past approvals this process landed, equals a fresh read", async () => {
    const a = await newAgent();
    const now = new Date();
    const approvals = [
      { action: "payments.refund", params: { amount: 120.5, fee: 2, currency: "USD" } },
      { action: "payments.charge", params: { amount: 999 } },
      { action: "payments.refund", params: { amount: "300" } }, // not a number: counted, not summed
      { action: "ops.deploy", params: { amount: 7, fee: Number.NaN } },
      { action: "other.thing", params: {} },
    ];
    let { snapshot } = await recentHistorySnapshot(a.agentId, needs, now, { reuse: true });
    for (const approval of approvals) {
      await recordApprovalHistory({ agentId: a.agentId, ...approval, at: now }, sql`TRUE`).execute(db());
      historyApproved(a.agentId, { ...approval, at: now }, snapshot);
      const kept = await recentHistorySnapshot(a.agentId, needs, now, { reuse: true });
      expect(kept.reused).toBe(true);
      const fresh = await loadHistorySnapshot(db(), a.agentId, needs, now);
      expect(kept.snapshot.totals).toEqual(fresh.totals);
      expect(kept.snapshot.approvals).toBe(fresh.approvals);
      snapshot = kept.snapshot;
    }
    expect(snapshot.totals.get("sum|payments.refund|amount|86400000")).toBe(120.5);
    expect(snapshot.totals.get("count|*||60000")).toBe(5n);
  });

  it("is dropped, not carried forward, when the approval was evaluated with another snapshot", async () => {
    const a = await newAgent();
    const now = new Date();
    const first = await recentHistorySnapshot(a.agentId, needs, now, { reuse: true });
    // Another create of the agent read again meanwhile: the snapshot kept is no longer `first`.
    await recentHistorySnapshot(a.agentId, needs, now, { reuse: false });
    historyApproved(a.agentId, { action: "payments.refund", params: { amount: 1 }, at: now }, first.snapshot);
    expect((await recentHistorySnapshot(a.agentId, needs, now, { reuse: true })).reused).toBe(false);
    // An approval with no snapshot (a create that read no history) drops what was kept.
    historyApproved(a.agentId, { action: "payments.refund", params: { amount: 1 }, at: now });
    expect((await recentHistorySnapshot(a.agentId, needs, now, { reuse: true })).reused).toBe(false);
  });
});

describe("two instances, each keeping snapshots", () => {
  const LIMIT = 'history.sum("payments.refund", "amount", duration("24h")) + params.amount <= 1000';
  let second: TestApp;
  beforeAll(async () => {
    second = await startTestApp(inject("databaseUrl"));
  });
  afterAll(async () => {
    await second?.stop();
  });

  async function limitedAgent(): Promise<TestAgent> {
    const agent = await newAgent();
    await createRule({
      definition: { name: unique("limit"), agents: { names: [agent.name] }, actions: ["payments.refund"], effect: "allow", condition: LIMIT },
      position: 0,
      actor: "test",
    });
    return agent;
  }
  /** A refund created on the main test app, or on the second instance. */
  async function refund(agent: TestAgent, amount: number, on: "main" | "second"): Promise<string> {
    const init = { method: "POST", json: sampleRequest({ params: { amount, currency: "USD", note: unique("r") } }) };
    const res =
      on === "main"
        ? await agentFetch(agent.key, "/api/v1/requests", init)
        : await fetch(`${second.url}/api/v1/requests`, {
            method: "POST",
            headers: { authorization: `Bearer ${agent.key}`, "content-type": "application/json" },
            body: JSON.stringify(init.json),
          });
    expect(res.status).toBe(201);
    return ((await res.json()) as { status: string }).status;
  }
  /** The second instance's history snapshots by where they came from. */
  async function snapshotsOnSecond(): Promise<{ memory: number; database: number }> {
    const text = await (await fetch(`${second.url}/api/metrics`)).text();
    const count = (from: string) => Number(new RegExp(`^countersign_history_snapshots_total\\{from="${from}"\\} (\\d+)`, "m").exec(text)?.[1] ?? 0);
    return { memory: count("memory"), database: count("database") };
  }

  it("a snapshot kept on one instance never lets a request past a limit another instance's approval reached", async () => {
    const agent = await limitedAgent();
    const before = await snapshotsOnSecond();
    expect(await refund(agent, 600, "second")).toBe("approved"); // read: 0; kept, carried forward to 600
    expect(await refund(agent, 300, "main")).toBe("approved"); // 900, landed by the other instance
    // The second instance's kept snapshot says 600 (+ 300 = 900, under the limit); its guard sees the approval it missed, it reads again: 1200.
    expect(await refund(agent, 300, "second")).toBe("pending");
    // Carried forward past its own approvals, it needs no read: 950, 1000, then 1001 is over.
    expect(await refund(agent, 50, "second")).toBe("approved");
    expect(await refund(agent, 50, "second")).toBe("approved");
    expect(await refund(agent, 1, "second")).toBe("pending");
    const after = await snapshotsOnSecond();
    expect({ memory: after.memory - before.memory, database: after.database - before.database }).toEqual({ memory: 4, database: 2 });
  });

  it("20 parallel requests of 100 under a 1000 limit, over both instances: exactly 10 are allowed", async () => {
    const agent = await limitedAgent();
    // Both instances keep a snapshot of the agent first.
    expect(await refund(agent, 0, "main")).toBe("approved");
    expect(await refund(agent, 0, "second")).toBe("approved");
    const statuses = await concurrently(20, (i) => refund(agent, 100, i % 2 === 0 ? "main" : "second"));
    expect(statuses.filter((s) => s === "approved")).toHaveLength(10);
    expect(statuses.filter((s) => s === "pending")).toHaveLength(10);
    const total = await db()
      .selectFrom("approvalHistory")
      .select(sql<number>`sum(total)`.as("t"))
      .where("agentId", "=", agent.agentId)
      .where("name", "=", "amount")
      .executeTakeFirstOrThrow();
    expect(total.t).toBe(1000);
  });
});
