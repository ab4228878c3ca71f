import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appendEvents } from "../../lib/audit/append-event.ts";
import { AuditSealer, SEALER_LOCK_KEY, sealAll, sealBatch, unsealedTail } from "../../lib/audit/sealer.ts";
import { sqlChainSource, verifyChain } from "../../lib/audit/verify-chain.ts";
import { kyselyOver, type Queryable, transact } from "../../lib/db.ts";
import { eventually } from "../delivery/receiver.ts";
import { type ScratchDatabase, scratchDatabase } from "../support/scratch-database.ts";

/*
 * The audit sealer against real PostgreSQL, on a database of its own: events
 * are inserted unchained by writers and chained afterwards, in an order no
 * late commit can get behind, by one leader at a time.
 */

let scratch: ScratchDatabase;
let q: Queryable;

beforeAll(async () => {
  scratch = await scratchDatabase();
  q = kyselyOver(scratch.pool);
});

afterAll(async () => {
  await scratch?.drop();
});

const event = (type: string, i = 0) => ({ type, actor: "system", data: { i } });

async function chain() {
  const { rows } = await sql<{ type: string; seq: string }>`SELECT type, seq FROM audit_events WHERE seq IS NOT NULL ORDER BY seq`.execute(q);
  return rows;
}

/** Seals until nothing committed is left unchained (other test files' transactions may hold the horizon back for a moment). */
async function sealEverything(): Promise<void> {
  await eventually(
    async () => {
      await sealAll(q).catch(() => 0);
      return (await unsealedTail(q)).events;
    },
    (left) => left === 0,
    20_000,
  );
}

describe("the audit sealer", () => {
  it("never chains past a transaction still open: its event, committed late, takes its place before the later ones", async () => {
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    let inserted = () => {};
    const insertedYet = new Promise<void>((resolve) => (inserted = resolve));
    // The slow transaction records its event first, then stays open.
    const slow = transact(async (trx) => {
      await appendEvents(trx, [event("test.slow")]);
      inserted();
      await held;
    }, q);
    await insertedYet;
    for (let i = 0; i < 3; i++) await transact((trx) => appendEvents(trx, [event("test.fast", i)]), q);

    // Committed events exist, but all of them lie behind the open transaction: nothing may be chained yet.
    expect(await sealAll(q)).toBe(0);
    expect(await unsealedTail(q)).toMatchObject({ events: 3 });

    release();
    await slow;
    await sealEverything();
    const chained = await chain();
    expect(chained.map((r) => r.type)).toEqual(["test.slow", "test.fast", "test.fast", "test.fast"]);
    expect(chained.map((r) => Number(r.seq))).toEqual([1, 2, 3, 4]);
    expect(await verifyChain({ source: sqlChainSource(scratch.pool) })).toMatchObject({ ok: true, headSeq: 4n, unsealed: { events: 0 } });
  });

  it("with many writers, two sealers and direct seals racing, chains every event exactly once, contiguously, and one sealer leads", async () => {
    const before = (await chain()).length;
    const sealers = [new AuditSealer(scratch.url, 5, 200), new AuditSealer(scratch.url, 5, 200)];
    for (const s of sealers) s.start();
    try {
      await eventually(
        async () => sealers.filter((s) => s.isLeader()).length,
        (leaders) => leaders === 1,
        10_000,
      );
      let written = 0;
      const writers = Array.from({ length: 20 }, async (_, w) => {
        for (let i = 0; i < 10; i++) {
          const n = 1 + ((w + i) % 3);
          await transact(
            (trx) =>
              appendEvents(
                trx,
                Array.from({ length: n }, (_, k) => event("test.concurrent", w * 100 + i * 10 + k)),
              ),
            q,
          );
          written += n;
        }
      });
      // Seals outside the leader at the same time: each either chains a batch or rolls back whole.
      const racers = Array.from({ length: 10 }, () => sealBatch(q, 50).catch(() => 0));
      await Promise.all([...writers, ...racers]);
      await sealEverything();
      // A batch that lost a race rolls back; its sealer keeps leading.
      expect(sealers.filter((s) => s.isLeader())).toHaveLength(1);

      const chained = await chain();
      expect(chained.length).toBe(before + written);
      expect(chained.map((r) => Number(r.seq))).toEqual(Array.from({ length: chained.length }, (_, i) => i + 1));
      expect(await verifyChain({ source: sqlChainSource(scratch.pool) })).toMatchObject({ ok: true, headSeq: BigInt(chained.length) });
    } finally {
      await Promise.all(sealers.map((s) => s.stop()));
    }
  });

  it("when the leader's connection dies, another instance takes over and nothing is lost", async () => {
    const sealers = [new AuditSealer(scratch.url, 5, 200), new AuditSealer(scratch.url, 5, 200)];
    for (const s of sealers) s.start();
    try {
      const leader = await eventually(
        async () => sealers.find((s) => s.isLeader()),
        (s) => s !== undefined,
        10_000,
      );
      // Kill the session that holds the sealer's lock, as a crash or a network cut would.
      const key = SEALER_LOCK_KEY;
      const { rows } = await sql<{ pid: number }>`
        SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted
           AND ((classid::bigint << 32) | objid::bigint) = ${key.toString()}::bigint AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`.execute(
        q,
      );
      expect(rows).toHaveLength(1);
      await sql`SELECT pg_terminate_backend(${rows[0].pid}::int)`.execute(q);
      for (let i = 0; i < 20; i++) await transact((trx) => appendEvents(trx, [event("test.after_crash", i)]), q);

      await eventually(
        async () => (await unsealedTail(q)).events,
        (left) => left === 0,
        20_000,
      );
      const after = (await chain()).filter((r) => r.type === "test.after_crash");
      expect(after).toHaveLength(20);
      expect(sealers.filter((s) => s.isLeader())).toHaveLength(1);
      expect(leader).toBeDefined();
      expect(await verifyChain({ source: sqlChainSource(scratch.pool) })).toMatchObject({ ok: true });
    } finally {
      await Promise.all(sealers.map((s) => s.stop()));
    }
  });
});
