import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { concurrently, createApproved, newAgent, newUser, redeem, signIn, type TestAgent } from "../../test/support/fixtures.ts";
import { runCli } from "../../test/support/run-cli.ts";
import { type ScratchDatabase, scratchDatabase } from "../../test/support/scratch-database.ts";
import { db, kyselyOver, transact } from "../db.ts";
import { appendEvents } from "./append-event.ts";
import { awaitSealed, sealAll } from "./sealer.ts";
import { type ChainRow, type ChainSource, sqlChainSource, verifyChain } from "./verify-chain.ts";

const EVENT_COLUMNS = "seq, type, actor, request_id, agent_id, data, occurred_at, prev_hash, hash";

function toChainRow(r: Record<string, unknown>): ChainRow {
  return {
    seq: BigInt(r.seq as string),
    type: r.type as string,
    actor: r.actor as string,
    requestId: (r.request_id as string | null) ?? null,
    agentId: (r.agent_id as string | null) ?? null,
    data: r.data,
    occurredAt: r.occurred_at as Date,
    prevHash: r.prev_hash as string,
    hash: r.hash as string,
  };
}

let agent: TestAgent;
let requestId: string;

beforeAll(async () => {
  agent = await newAgent();
  const reviewer = await newUser("reviewer");
  const r = await createApproved(agent, await signIn(reviewer));
  requestId = r.id;
  expect((await redeem({ token: r.grant.token })).status).toBe(200);
  expect((await redeem({ token: r.grant.token })).status).toBe(409);
});

async function eventsOf(id: string) {
  await awaitSealed();
  return db().selectFrom("auditEvents").selectAll().where("requestId", "=", id).orderBy("seq").execute();
}

describe("the audit trail of one request", () => {
  it("records every step, in order, with its actor", async () => {
    const events = await eventsOf(requestId);
    expect(events.map((e) => e.type)).toEqual([
      "request.created",
      "request.vote_recorded",
      "request.approved",
      "grant.issued",
      "grant.redeemed",
      "grant.redemption_refused",
    ]);
    expect(events.map((e) => e.actor)).toEqual([
      `agent:${agent.agentId}`,
      expect.stringMatching(/^user:usr_/),
      expect.stringMatching(/^user:usr_/),
      expect.stringMatching(/^user:usr_/),
      "executor",
      "executor",
    ]);
    expect(events.every((e) => e.agentId === agent.agentId)).toBe(true);
    expect(events.at(-1)!.data).toMatchObject({ reason: "already_redeemed" });
  });
});

describe("verifyChain()", () => {
  it("accepts the intact chain", async () => {
    await awaitSealed();
    const result = await verifyChain();
    expect(result).toMatchObject({ ok: true });
    expect(result.events).toBeGreaterThan(0);
  });

  it("stays intact under 30 concurrent creates (no forks)", async () => {
    const many = await newAgent();
    const ids = await concurrently(30, async (i) => {
      const res = await fetch(`${process.env.COUNTERSIGN_PUBLIC_URL}/api/v1/requests`, {
        method: "POST",
        headers: { authorization: `Bearer ${many.key}`, "content-type": "application/json" },
        body: JSON.stringify({ action: "db.migrate", summary: `concurrent ${i}` }),
      });
      expect(res.status).toBe(201);
      return ((await res.json()) as { id: string }).id;
    });
    await awaitSealed();
    const created = await db().selectFrom("auditEvents").select("prevHash").where("requestId", "in", ids).where("type", "=", "request.created").execute();
    expect(created).toHaveLength(30);
    expect(new Set(created.map((e) => e.prevHash)).size).toBe(30);
    expect(await verifyChain()).toMatchObject({ ok: true });
  });

  it("is not fooled by events appended while it runs", async () => {
    // Every read of the chain head and of each batch first commits one more
    // event, as a busy gateway would while an auditor verifies: that is no
    // break in the chain.
    const append = () => transact((trx) => appendEvents(trx, [{ type: "test.concurrent_append", actor: "system" }]));
    const real = sqlChainSource();
    const busy: ChainSource = {
      ...real,
      head: async () => {
        await append();
        return real.head();
      },
      events: async (after, upTo, limit) => {
        await append();
        return real.events(after, upTo, limit);
      },
    };
    const result = await verifyChain({ source: busy, batchSize: 500 });
    expect(
      result,
      JSON.stringify(result, (_k, v) => (typeof v === "bigint" ? Number(v) : v)),
    ).toMatchObject({ ok: true });
  });
});

/*
 * Tampering happens on a scratch database of its own, where the request's
 * events above are appended anew: other suites verify the shared chain while
 * this file runs.
 */
describe("a tampered chain (scratch database)", () => {
  let scratch: ScratchDatabase;
  const verify = () => verifyChain({ source: sqlChainSource(scratch.pool) });
  const scratchEvents = async () =>
    (await scratch.pool.query(`SELECT ${EVENT_COLUMNS} FROM audit_events WHERE seq IS NOT NULL ORDER BY seq`)).rows.map(toChainRow);

  beforeAll(async () => {
    scratch = await scratchDatabase();
    const events = await eventsOf(requestId);
    await transact(
      (trx) =>
        appendEvents(
          trx,
          events.map((e) => ({ type: e.type, actor: e.actor, requestId: e.requestId, agentId: e.agentId, data: e.data as Record<string, unknown> })),
        ),
      kyselyOver(scratch.pool),
    );
    await sealAll(kyselyOver(scratch.pool));
    expect(await verify()).toMatchObject({ ok: true, events: events.length });
  });

  afterAll(async () => {
    await scratch?.drop();
  });

  it("reports the seq of an edited event, and is intact again once it is restored", async () => {
    const [, vote] = await scratchEvents();
    try {
      await scratch.pool.query(`UPDATE audit_events SET data = jsonb_set(data, '{reason}', '"forged"') WHERE seq = $1`, [vote.seq]);
      expect(await verify()).toMatchObject({ ok: false, brokenAt: vote.seq });
    } finally {
      await scratch.pool.query("UPDATE audit_events SET data = $1::jsonb WHERE seq = $2", [JSON.stringify(vote.data), vote.seq]);
    }
    expect(await verify()).toMatchObject({ ok: true });
  });

  it("reports an edited actor or timestamp too", async () => {
    const [created] = await scratchEvents();
    try {
      await scratch.pool.query("UPDATE audit_events SET actor = 'agent:agt_someone_else' WHERE seq = $1", [created.seq]);
      expect(await verify()).toMatchObject({ ok: false, brokenAt: created.seq });
      await scratch.pool.query("UPDATE audit_events SET actor = $1, occurred_at = occurred_at + interval '1 second' WHERE seq = $2", [
        created.actor,
        created.seq,
      ]);
      expect(await verify()).toMatchObject({ ok: false, brokenAt: created.seq });
    } finally {
      await scratch.pool.query("UPDATE audit_events SET actor = $1, occurred_at = $2 WHERE seq = $3", [created.actor, created.occurredAt, created.seq]);
    }
    expect(await verify()).toMatchObject({ ok: true });
  });

  it("reports a deleted event as missing", async () => {
    const [, , approved] = await scratchEvents();
    try {
      await scratch.pool.query("DELETE FROM audit_events WHERE seq = $1", [approved.seq]);
      const broken = await verify();
      expect(broken).toMatchObject({ ok: false, brokenAt: approved.seq });
      expect(!broken.ok && broken.reason).toMatch(/missing/);
    } finally {
      await scratch.pool.query(`INSERT INTO audit_events (${EVENT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, [
        approved.seq,
        approved.type,
        approved.actor,
        approved.requestId,
        approved.agentId,
        JSON.stringify(approved.data),
        approved.occurredAt,
        approved.prevHash,
        approved.hash,
      ]);
    }
    expect(await verify()).toMatchObject({ ok: true });
  });

  // Each run starts a CLI process (TypeScript loader, migration check): time for a busy machine.
  it("`countersign audit verify` exits 0 when the chain is intact and non-zero when it is broken", { timeout: 180_000 }, async () => {
    const cliVerify = () => runCli(["audit", "verify"], { ...process.env, DATABASE_URL: scratch.url });
    const intact = await cliVerify();
    expect(intact.code, intact.stderr).toBe(0);

    const [, , , issued] = await scratchEvents();
    try {
      await scratch.pool.query(`UPDATE audit_events SET data = jsonb_set(data, '{approved_by}', '["mallory@example.test"]') WHERE seq = $1`, [issued.seq]);
      const broken = await cliVerify();
      expect(broken.code).not.toBe(0);
      expect(broken.code).not.toBeNull();
      expect(broken.stdout + broken.stderr).toContain(String(issued.seq));
    } finally {
      await scratch.pool.query("UPDATE audit_events SET data = $1::jsonb WHERE seq = $2", [JSON.stringify(issued.data), issued.seq]);
    }
    expect(await verify()).toMatchObject({ ok: true });
  });
});
