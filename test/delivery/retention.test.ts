import { eventually } from "./receiver.ts";
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { kyselyOver, pool, type Queryable } from "../../lib/db.ts";
import { applyDeliveryRetention } from "../../lib/delivery/retention.ts";
import { addMonths, ensurePartitions, listPartitions, monthStart, partitionName } from "../../lib/partitions.ts";
import { dropOldRiskHistory } from "../../lib/risk/history-retention.ts";
import { HISTORY_FLOOR, recordRequest } from "../../lib/risk/record-risk-history.ts";
import { PROJECT_ROOT } from "../../lib/runtime/migrate.ts";
import { type ScratchDatabase, scratchDatabase } from "../support/scratch-database.ts";

/*
 * Partitioned deliveries and risk history (issue 13): the migration's rows
 * end up in monthly partitions, and retention drops whole months, audited,
 * without blocking writers.
 */

const MIGRATION = "20261202160000_delivery_risk_partitions";

let seq = 0;
/** Inserts deliveries with the given creation time and statuses; returns their ids. */
async function insertDeliveries(scratch: ScratchDatabase, createdAt: Date, statuses: string[]): Promise<string[]> {
  const ids = statuses.map(() => `msg_retention_${++seq}_${Math.random().toString(36).slice(2)}`);
  await scratch.pool.query(
    `INSERT INTO deliveries (id, url, event_type, payload, status, created_at)
     SELECT id, 'https://example.test/hook', 'request.created', '{"big": "payload"}', status, $3
       FROM unnest($1::text[], $2::text[]) AS x(id, status)`,
    [ids, statuses, createdAt],
  );
  return ids;
}

async function partitionOf(scratch: ScratchDatabase, table: string, where: string, params: unknown[]): Promise<string[]> {
  const { rows } = await scratch.pool.query<{ p: string }>(`SELECT DISTINCT tableoid::regclass::text AS p FROM ${table} WHERE ${where}`, params);
  return rows.map((r) => r.p).sort();
}

describe("the migration partitioning deliveries and the risk history", () => {
  let scratch: ScratchDatabase;
  let q: Queryable;

  beforeAll(async () => {
    scratch = await scratchDatabase();
    q = kyselyOver(scratch.pool);
  });

  afterAll(async () => {
    await scratch?.drop();
  });

  it("moves existing rows into their monthly partitions, still found by id", async () => {
    // The tables as they were before the migration, holding old rows.
    await scratch.pool.query(`
      DROP TABLE deliveries;
      DROP TABLE risk_agent_hourly;
      CREATE TABLE deliveries (
        id TEXT NOT NULL, endpoint_id TEXT, agent_id TEXT, url TEXT NOT NULL, event_type TEXT NOT NULL, event_seq BIGINT,
        request_id TEXT, payload JSONB NOT NULL, status TEXT NOT NULL DEFAULT 'pending', attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP, last_error TEXT, response_status INTEGER,
        created_at TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP, updated_at TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
        delivered_at TIMESTAMPTZ(3),
        CONSTRAINT deliveries_pkey PRIMARY KEY (id),
        CONSTRAINT deliveries_status_check CHECK (status IN ('pending', 'failed', 'delivered', 'dead')),
        CONSTRAINT deliveries_endpoint_id_fkey FOREIGN KEY (endpoint_id) REFERENCES webhook_endpoints(id) ON DELETE CASCADE ON UPDATE CASCADE,
        CONSTRAINT deliveries_agent_id_fkey FOREIGN KEY (agent_id) REFERENCES agents(id) ON DELETE CASCADE ON UPDATE CASCADE);
      CREATE INDEX deliveries_due_idx ON deliveries(next_attempt_at) WHERE status IN ('pending', 'failed');
      CREATE INDEX deliveries_created_at_idx ON deliveries(created_at DESC, id DESC);
      CREATE INDEX deliveries_endpoint_id_created_at_idx ON deliveries(endpoint_id, created_at DESC);
      CREATE TABLE risk_agent_hourly (agent_id TEXT NOT NULL, hour TIMESTAMPTZ(3) NOT NULL, requests INTEGER NOT NULL,
        CONSTRAINT risk_agent_hourly_pkey PRIMARY KEY (agent_id, hour));`);
    const august = await insertDeliveries(scratch, new Date("2026-08-15T12:00:00Z"), ["delivered", "dead"]);
    const septemberEnd = await insertDeliveries(scratch, new Date("2026-09-30T23:59:59.999Z"), ["pending"]);
    const recent = await insertDeliveries(scratch, new Date(), ["failed"]);
    await scratch.pool.query(
      `INSERT INTO risk_agent_hourly (agent_id, hour, requests)
       VALUES ('agt_old', '2026-07-01T00:00:00Z', 3), ('agt_old', '2026-07-31T23:00:00Z', 4), ('agt_new', date_trunc('hour', now()), 5)`,
    );

    // The migration, split on every semicolon as Prisma runs it.
    const file = readFileSync(path.join(PROJECT_ROOT, "prisma", "migrations", MIGRATION, "migration.sql"), "utf8");
    for (const statement of file.split(";").filter((s) => s.replace(/--.*$/gm, "").trim())) await scratch.pool.query(statement);
    expect(await partitionOf(scratch, "deliveries", "true", [])).toEqual(["deliveries_default"]);

    // What migrate() runs right after the migrations.
    await ensurePartitions("deliveries", { q });
    await ensurePartitions("risk_agent_hourly", { q });

    const names = async (table: string) => (await scratch.pool.query(`SELECT to_regclass($1) IS NULL AS gone`, [`${table}_default`])).rows[0].gone;
    expect(await names("deliveries")).toBe(true);
    expect(await names("risk_agent_hourly")).toBe(true);
    expect(await partitionOf(scratch, "deliveries", "id = ANY($1)", [august])).toEqual(["deliveries_2026_08"]);
    expect(await partitionOf(scratch, "deliveries", "id = ANY($1)", [septemberEnd])).toEqual(["deliveries_2026_09"]);
    expect(await partitionOf(scratch, "deliveries", "id = ANY($1)", [recent])).toEqual([partitionName("deliveries", monthStart(new Date()))]);
    expect(await partitionOf(scratch, "risk_agent_hourly", "agent_id = 'agt_old'", [])).toEqual(["risk_agent_hourly_2026_07"]);
    // Every row kept, with its data; a lookup by id alone uses the key's index.
    const { rows } = await scratch.pool.query("SELECT status FROM deliveries WHERE id = $1", [septemberEnd[0]]);
    expect(rows).toEqual([{ status: "pending" }]);
    await scratch.pool.query("SET enable_seqscan = off");
    const plan = (await scratch.pool.query("EXPLAIN SELECT * FROM deliveries WHERE id = $1", [august[0]])).rows.map((r) => r["QUERY PLAN"]).join("\n");
    await scratch.pool.query("RESET enable_seqscan");
    expect(plan).toMatch(/Index Scan (using|on) deliveries_\d{4}_\d{2}_pkey/);
    const { rows: counts } = await scratch.pool.query(
      "SELECT (SELECT count(*)::int FROM deliveries) AS d, (SELECT sum(requests)::int FROM risk_agent_hourly) AS r",
    );
    expect(counts).toEqual([{ d: 4, r: 12 }]);
    // The partial due index, the CHECK and the foreign keys are there.
    await expect(scratch.pool.query("INSERT INTO deliveries (id, url, event_type, payload, status) VALUES ('x', 'u', 't', '{}', 'lost')")).rejects.toThrow(
      /deliveries_status_check/,
    );
    await expect(
      scratch.pool.query("INSERT INTO deliveries (id, url, event_type, payload, agent_id) VALUES ('x', 'u', 't', '{}', 'agt_none')"),
    ).rejects.toThrow(/foreign key constraint/);
    const { rows: due } = await scratch.pool.query("SELECT indexdef FROM pg_indexes WHERE indexname = 'deliveries_due_idx'");
    expect(due[0].indexdef).toMatch(/WHERE \(status = ANY/);

    // Risk history: months older than the baseline go; the agent keeps a first hour before the window.
    const dropped = await dropOldRiskHistory({ q });
    expect(dropped.map((p) => p.name)).toContain("risk_agent_hourly_2026_07");
    const { rows: old } = await scratch.pool.query("SELECT hour, requests FROM risk_agent_hourly WHERE agent_id = 'agt_old'");
    expect(old).toHaveLength(1);
    expect(old[0].requests).toBe(0);
    expect(old[0].hour.getTime()).toBeLessThan(Date.now() - 7 * 86_400_000);
    expect((await listPartitions("risk_agent_hourly", q))[0].from.getTime()).toBe(monthStart(new Date(Date.now() - 9 * 86_400_000)).getTime());
  });
});

describe("delivery retention", () => {
  let scratch: ScratchDatabase;
  let q: Queryable;
  const thisMonth = monthStart(new Date());
  const month = (n: number) => addMonths(thisMonth, -n);
  const mid = (n: number) => new Date(month(n).getTime() + 10 * 86_400_000);
  let finishedIds: string[] = [];
  let pendingIds: string[] = [];

  beforeAll(async () => {
    scratch = await scratchDatabase();
    q = kyselyOver(scratch.pool);
    await ensurePartitions("deliveries", { from: month(4), q });
    finishedIds = await insertDeliveries(scratch, mid(4), ["delivered", "dead", "delivered"]);
    pendingIds = await insertDeliveries(scratch, mid(3), ["delivered", "pending"]);
    await insertDeliveries(scratch, mid(2), ["delivered", "failed"]);
  });

  afterAll(async () => {
    await scratch?.drop();
  });

  const names = async () => (await listPartitions("deliveries", q)).map((p) => p.name);
  // Empty months old enough are dropped too (and audited, with 0 rows): these tests look at the ones with deliveries.
  const run = async (days: number) => (await applyDeliveryRetention({ days, q })).filter((d) => d.rows > 0);
  const dropEvents = async () =>
    (await scratch.pool.query("SELECT actor, data FROM audit_events WHERE type = 'deliveries.partition_dropped' AND (data->>'rows')::int > 0 ORDER BY id"))
      .rows;

  it("drops an old month whose deliveries are all finished, audited first, and keeps months with a delivery still to send", async () => {
    // Another instance running retention: this one skips its turn.
    const other = await scratch.pool.connect();
    await other.query("SELECT pg_advisory_lock(hashtext('countersign.delivery_retention'))");
    expect(await run(1)).toEqual([]);
    await other.query("SELECT pg_advisory_unlock(hashtext('countersign.delivery_retention'))");
    other.release();
    const dropped = await run(1);
    const m4 = partitionName("deliveries", month(4));
    expect(dropped).toEqual([{ partition: m4, month: month(4).toISOString().slice(0, 7), rows: 3 }]);
    expect(await names()).not.toContain(m4);
    expect(await names()).toEqual(expect.arrayContaining([partitionName("deliveries", month(3)), partitionName("deliveries", month(2))]));
    expect((await scratch.pool.query("SELECT to_regclass($1) AS t", [m4])).rows[0].t).toBeNull();
    expect((await scratch.pool.query("SELECT count(*)::int AS n FROM deliveries WHERE id = ANY($1)", [finishedIds])).rows[0].n).toBe(0);
    expect((await scratch.pool.query("SELECT count(*)::int AS n FROM deliveries WHERE id = ANY($1)", [pendingIds])).rows[0].n).toBe(2);
    expect(await dropEvents()).toEqual([{ actor: "system", data: { partition: m4, month: month(4).toISOString().slice(0, 7), rows: 3 } }]);

    // Nothing more until the pending one is finished; not before its month is old enough either.
    expect(await run(1)).toEqual([]);
    await scratch.pool.query("UPDATE deliveries SET status = 'delivered' WHERE id = ANY($1)", [pendingIds]);
    expect(await run(400)).toEqual([]);
    expect(await run(1)).toEqual([{ partition: partitionName("deliveries", month(3)), month: month(3).toISOString().slice(0, 7), rows: 2 }]);
    expect(await dropEvents()).toHaveLength(2);
  });

  it("attaches back a detached month that a retry made unfinished, and finishes a drop left halfway", async () => {
    const m2 = partitionName("deliveries", month(2));
    // As if a retry had come between the check and the detach: detached, still holding a failed delivery.
    await scratch.pool.query(`ALTER TABLE deliveries DETACH PARTITION ${m2}`);
    expect(await run(1)).toEqual([]);
    expect(await names()).toContain(m2);
    expect((await scratch.pool.query("SELECT count(*)::int AS n FROM deliveries WHERE created_at = $1", [mid(2)])).rows[0].n).toBe(2);
    // A run stopped after its detach: the next one records and drops it.
    await scratch.pool.query("UPDATE deliveries SET status = 'dead' WHERE status = 'failed' AND created_at = $1", [mid(2)]);
    await scratch.pool.query(`ALTER TABLE deliveries DETACH PARTITION ${m2}`);
    expect(await run(400)).toEqual([{ partition: m2, month: month(2).toISOString().slice(0, 7), rows: 2 }]);
    expect((await scratch.pool.query("SELECT to_regclass($1) AS t", [m2])).rows[0].t).toBeNull();
  });

  it("inserts and reads of deliveries go on while a month is detached concurrently", async () => {
    const old = month(6);
    await ensurePartitions("deliveries", { from: old, q });
    await insertDeliveries(
      scratch,
      mid(6),
      Array.from({ length: 2000 }, () => "delivered"),
    );
    // A reader holding a snapshot that uses the table makes the detach wait for it, meanwhile everyone else goes on.
    const reader = await scratch.pool.connect();
    await reader.query("BEGIN ISOLATION LEVEL REPEATABLE READ");
    await reader.query("SELECT count(*) FROM deliveries");
    let done = false;
    const failures: unknown[] = [];
    let inserted = 0;
    const loop = (async () => {
      while (!done || inserted < 50) {
        try {
          const [id] = await insertDeliveries(scratch, new Date(), ["pending"]);
          const { rows } = await scratch.pool.query("SELECT id FROM deliveries WHERE id = $1", [id]);
          if (rows.length !== 1) throw new Error(`inserted ${id} not found`);
          await scratch.pool.query("UPDATE deliveries SET status = 'delivered' WHERE id = $1", [id]);
          inserted++;
        } catch (err) {
          failures.push(err);
          if (failures.length > 5) break;
        }
      }
    })();
    const dropping = run(1);
    // The detach waits for the old snapshot while inserts keep succeeding.
    const detaching = async () =>
      (
        await scratch.pool.query(
          `SELECT count(*)::int AS n FROM pg_stat_activity
            WHERE datname = current_database() AND state = 'active' AND query LIKE '%DETACH PARTITION%CONCURRENTLY%' AND pid <> pg_backend_pid()`,
        )
      ).rows[0].n;
    for (let i = 0; i < 100 && (await detaching()) === 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await detaching()).toBe(1);
    const before = inserted;
    // Inserts go on while the detach waits: wait for the next ones to land (bounded), not for a fixed time.
    expect(
      await eventually(
        async () => inserted,
        (n) => n > before,
        10_000,
      ),
    ).toBeGreaterThan(before);
    await reader.query("COMMIT");
    reader.release();
    const dropped = await dropping;
    done = true;
    await loop;
    expect(failures).toEqual([]);
    expect(dropped).toEqual([{ partition: partitionName("deliveries", old), month: old.toISOString().slice(0, 7), rows: 2000 }]);
    expect(inserted).toBeGreaterThanOrEqual(50);
  });
});

describe("the risk history of an agent idle for months", () => {
  it("counts its last hour before the baseline window, in a month that is kept, instead of failing on a dropped month", async () => {
    const agentId = `agt_idle_${Math.random().toString(36).slice(2)}`;
    await pool().query(
      `INSERT INTO risk_agent_rate (agent_id, window_start, current, previous, hour_start, hour_count)
       VALUES ($1, '2020-01-01T00:00:00Z', 3, 0, '2020-01-01T00:00:00Z', 3)`,
      [agentId],
    );
    const at = new Date();
    await recordRequest({ agentId, action: "refund", at });
    const hour = Math.floor(at.getTime() / 3_600_000) * 3_600_000;
    const { rows } = await pool().query("SELECT hour, requests FROM risk_agent_hourly WHERE agent_id = $1", [agentId]);
    expect(rows).toEqual([{ hour: new Date(hour - HISTORY_FLOOR), requests: 3 }]);
    const { rows: rate } = await pool().query("SELECT hour_start, hour_count FROM risk_agent_rate WHERE agent_id = $1", [agentId]);
    expect(rate).toEqual([{ hour_start: new Date(hour), hour_count: 1 }]);
  });
});
