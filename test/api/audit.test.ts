import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAdminToken } from "../../lib/admin-tokens/admin-tokens.ts";
import { checkpointObject, createCheckpoint, listCheckpoints, parseCheckpointLines, startCheckpointTimer } from "../../lib/audit/checkpoints.ts";
import { applyRetention, setRetention } from "../../lib/audit/retention.ts";
import { sqlChainSource, verifyChain, withExtraCheckpoints, type ChainSource } from "../../lib/audit/verify-chain.ts";
import { pool } from "../../lib/db.ts";
import { closeHub } from "../../lib/events/hub.ts";
import { activeSigningKey } from "../../lib/grants/signing-keys.ts";
import { appendBulk } from "../support/audit-chain.ts";
import { type ScratchDatabase, scratchDatabase } from "../support/scratch-database.ts";
import { baseUrl, concurrently, expectProblem, newUser, reviewerFetch, signIn, unique } from "../support/fixtures.ts";
import { runCli } from "../support/run-cli.ts";

/*
 * The audit log as evidence. Tampering (edits, deletions, a cut tail with the
 * head rewound) happens on a scratch database of its own, so the shared
 * chain other suites verify is never broken. Export and the API run against
 * the app's database, with events appended properly to its chain.
 */

afterAll(async () => {
  await closeHub();
});

describe("chain verification and checkpoints (scratch database)", () => {
  let scratch: ScratchDatabase;
  const N = 20_000;

  beforeAll(async () => {
    scratch = await scratchDatabase();
    // Checkpoints are signed with the app's grant key; the scratch database publishes the same public key.
    const key = await activeSigningKey();
    const { rows } = await pool().query("SELECT kid, public_jwk, private_key_enc FROM signing_keys WHERE kid = $1", [key.kid]);
    await scratch.pool.query("INSERT INTO signing_keys (kid, public_jwk, private_key_enc) VALUES ($1, $2, $3)", [
      rows[0].kid,
      rows[0].public_jwk,
      rows[0].private_key_enc,
    ]);
    await appendBulk(scratch.pool, N);
  }, 180_000);

  afterAll(async () => {
    await scratch?.drop();
  });

  const source = () => sqlChainSource(scratch.pool);

  it("verifies 20,000 events streamed in bounded batches", async () => {
    const real = source();
    const pages: number[] = [];
    const counting: ChainSource = {
      ...real,
      events: async (after, upTo, limit) => {
        const rows = await real.events(after, upTo, limit);
        pages.push(rows.length);
        return rows;
      },
    };
    const result = await verifyChain({ source: counting, batchSize: 1000 });
    expect(result).toMatchObject({ ok: true, events: N, headSeq: BigInt(N) });
    // 20 full pages and the empty one that ends the walk: never more than 1,000 rows held.
    expect(pages).toHaveLength(21);
    expect(Math.max(...pages)).toBe(1000);
    expect(await verifyChain({ source: real })).toMatchObject({ ok: true, events: N });
  });

  it("signs a checkpoint that verifies with the app's JWKS", async () => {
    const { checkpoint, created } = await createCheckpoint(scratch.pool);
    expect(created).toBe(true);
    expect(checkpoint).toMatchObject({ seq: BigInt(N), eventCount: BigInt(N) });
    const jwks = createRemoteJWKSet(new URL(`${baseUrl()}/.well-known/jwks.json`));
    const { payload, protectedHeader } = await jwtVerify(checkpoint!.token, jwks, { typ: "countersign-checkpoint+jwt", issuer: baseUrl() });
    expect(protectedHeader).toMatchObject({ alg: "EdDSA", kid: checkpoint!.kid });
    expect(payload).toMatchObject({ seq: String(N), head_hash: checkpoint!.headHash, event_count: String(N), sub: "audit-chain" });
    const { rows } = await scratch.pool.query("SELECT hash FROM audit_events WHERE seq = $1", [N]);
    expect(payload.head_hash).toBe(rows[0].hash);
    // The same head again: nothing new.
    expect(await createCheckpoint(scratch.pool)).toMatchObject({ created: false, checkpoint: { seq: BigInt(N) } });
    expect(await verifyChain({ source: source() })).toMatchObject({ ok: true, checkpoints: 1 });
  });

  it("records one checkpoint per head when many are created at once", async () => {
    await appendBulk(scratch.pool, 10);
    const results = await concurrently(12, () => createCheckpoint(scratch.pool));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.checkpoint!.token)).size).toBe(1);
    const { rows } = await scratch.pool.query("SELECT count(*)::int AS n FROM audit_checkpoints WHERE seq = $1", [N + 10]);
    expect(rows[0].n).toBe(1);
  });

  it("detects an edited event at its seq, and accepts the chain once restored", async () => {
    const { rows } = await scratch.pool.query("SELECT data FROM audit_events WHERE seq = 777");
    await scratch.pool.query(`UPDATE audit_events SET data = jsonb_set(data, '{note}', '"forged"') WHERE seq = 777`);
    expect(await verifyChain({ source: source() })).toMatchObject({ ok: false, brokenAt: 777n, kind: "edited", events: 776 });
    await scratch.pool.query("UPDATE audit_events SET data = $1 WHERE seq = 777", [rows[0].data]);
    expect(await verifyChain({ source: source() })).toMatchObject({ ok: true });
  });

  it("detects a deleted event as missing", async () => {
    const { rows } = await scratch.pool.query("SELECT * FROM audit_events WHERE seq = 15000");
    await scratch.pool.query("DELETE FROM audit_events WHERE seq = 15000");
    expect(await verifyChain({ source: source() })).toMatchObject({ ok: false, brokenAt: 15000n, kind: "missing" });
    const r = rows[0];
    await scratch.pool.query(
      "INSERT INTO audit_events (seq, type, actor, request_id, agent_id, data, occurred_at, prev_hash, hash) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)",
      [r.seq, r.type, r.actor, r.request_id, r.agent_id, r.data, r.occurred_at, r.prev_hash, r.hash],
    );
    expect(await verifyChain({ source: source() })).toMatchObject({ ok: true });
  });

  it("detects history rewritten consistently (every hash recomputed) through the checkpoint it contradicts", async () => {
    // Forge event 100 and re-hash everything after it: each link checks out, only the signed checkpoints disagree.
    const before = await scratch.pool.query("SELECT seq, data, prev_hash, hash FROM audit_events WHERE seq >= 100 ORDER BY seq");
    const head = await scratch.pool.query("SELECT seq, prev, hash FROM audit_head WHERE id = 1");
    const { sha256Hex } = await import("../../lib/crypto.ts");
    const { canonicalEventBody } = await import("../../lib/audit/append-event.ts");
    const rows = (await scratch.pool.query("SELECT * FROM audit_events WHERE seq >= 99 ORDER BY seq")).rows;
    let prev = rows[0].hash as string;
    const client = await scratch.pool.connect();
    try {
      await client.query("BEGIN");
      for (const r of rows.slice(1)) {
        const data = r.seq === "100" ? { ...r.data, note: "forged" } : r.data;
        const hash = sha256Hex(
          `${prev}\n${r.seq}\n${canonicalEventBody({ type: r.type, actor: r.actor, requestId: r.request_id, agentId: r.agent_id, data, occurredAt: r.occurred_at })}`,
        );
        await client.query("UPDATE audit_events SET data = $1, prev_hash = $2, hash = $3 WHERE seq = $4", [data, prev, hash, r.seq]);
        prev = hash;
      }
      await client.query("UPDATE audit_head SET hash = $1 WHERE id = 1", [prev]);
      await client.query("COMMIT");
    } finally {
      client.release();
    }
    const withoutCheckpoints = { ...source(), checkpoints: async () => [] };
    expect(await verifyChain({ source: withoutCheckpoints })).toMatchObject({ ok: true });
    const result = await verifyChain({ source: source() });
    expect(result).toMatchObject({ ok: false, brokenAt: BigInt(N), kind: "edited" });
    expect(!result.ok && result.reason).toMatch(/signed checkpoint/);

    // Put the original history back.
    const c = await scratch.pool.connect();
    try {
      await c.query("BEGIN");
      for (const r of before.rows)
        await c.query("UPDATE audit_events SET data = $1, prev_hash = $2, hash = $3 WHERE seq = $4", [r.data, r.prev_hash, r.hash, r.seq]);
      await c.query("UPDATE audit_head SET hash = $1 WHERE id = 1", [head.rows[0].hash]);
      await c.query("COMMIT");
    } finally {
      c.release();
    }
    expect(await verifyChain({ source: source() })).toMatchObject({ ok: true, checkpoints: 2 });
  }, 120_000);

  it("detects a truncated tail with the head rewound, through the last checkpoint", async () => {
    // Cut between the two checkpoints: the one at N still matches, the one at N + 10 signed a longer chain.
    const last = BigInt(N + 10);
    const cut = last - 5n;
    await scratch.pool.query("DELETE FROM audit_events WHERE seq > $1", [cut.toString()]);
    const { rows } = await scratch.pool.query("SELECT seq, prev_hash, hash FROM audit_events WHERE seq = $1", [cut.toString()]);
    await scratch.pool.query("UPDATE audit_head SET seq = $1, prev = $2, hash = $3 WHERE id = 1", [rows[0].seq, rows[0].prev_hash, rows[0].hash]);
    // Without checkpoints the cut chain is self-consistent…
    expect(await verifyChain({ source: { ...source(), checkpoints: async () => [] } })).toMatchObject({ ok: true, headSeq: cut });
    // …but a checkpoint signed a longer one.
    const result = await verifyChain({ source: source() });
    expect(result).toMatchObject({ ok: false, kind: "truncated", brokenAt: cut + 1n, events: Number(cut), checkpoints: 1 });
    expect(!result.ok && result.reason).toContain(`checkpoint at event ${last}`);
  });

  it("deleting the stored checkpoints as well is caught by an exported copy", async () => {
    const exported = (await listCheckpoints({}, scratch.pool))
      .map(checkpointObject)
      .map((c) => JSON.stringify(c))
      .join("\n");
    await scratch.pool.query("DELETE FROM audit_checkpoints");
    expect(await verifyChain({ source: source() })).toMatchObject({ ok: true });
    const result = await verifyChain({ source: withExtraCheckpoints(source(), parseCheckpointLines(exported)) });
    expect(result).toMatchObject({ ok: false, kind: "truncated", brokenAt: BigInt(N + 6) });
  });

  it("the tail deleted but the head left alone is truncation too", async () => {
    const { rows } = await scratch.pool.query("SELECT max(seq)::text AS m FROM audit_events");
    const end = BigInt(rows[0].m);
    await scratch.pool.query("DELETE FROM audit_events WHERE seq > $1", [(end - 3n).toString()]);
    expect(await verifyChain({ source: { ...source(), checkpoints: async () => [] } })).toMatchObject({ ok: false, kind: "truncated", brokenAt: end - 2n });
  });
});

/** Runs the CLI against the test database. */
const cli = (args: string[]) => runCli(args, { ...process.env, LOG_LEVEL: "warn" });

describe("export, the API and the CLI (the app's database)", () => {
  // Events far in the past, one second apart, appended properly to the shared chain.
  const T0 = Date.UTC(2001, 0, 2, 3, 4, 5);
  const at = (s: number) => new Date(T0 + s * 1000).toISOString();
  const requestId = unique("req_export");
  let auditorCookie: string;
  let reviewerCookie: string;
  let adminCookie: string;
  let token: string;

  beforeAll(async () => {
    await appendBulk(pool(), 4, (i) => ({
      type: "test.export_range",
      actor: i === 2 ? '=HYPERLINK("http://evil.example")' : "system",
      requestId,
      data: { i, note: i === 1 ? 'comma, "quote"\nnew line' : "plain" },
      occurredAt: new Date(T0 + i * 1000),
    }));
    const [auditor, reviewer, admin] = await Promise.all([newUser("auditor"), newUser("reviewer"), newUser("admin")]);
    [auditorCookie, reviewerCookie, adminCookie] = await Promise.all([signIn(auditor), signIn(reviewer), signIn(admin)]);
    ({ token } = await createAdminToken({ name: unique("audit"), actor: "test" }));
  });

  const range = `since=${encodeURIComponent(at(1))}&until=${encodeURIComponent(at(3))}&request=${requestId}`;

  it("exports JSON lines for [since, until): since inclusive, until exclusive, streamed as an attachment", async () => {
    const res = await reviewerFetch(auditorCookie, `/api/v1/admin/audit/export?${range}&format=jsonl`, { origin: null });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/x-ndjson/);
    expect(res.headers.get("content-disposition")).toMatch(/^attachment; filename="countersign-audit-.*\.jsonl"$/);
    const lines = (await res.text())
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.occurred_at)).toEqual([at(1), at(2)]);
    expect(lines[0]).toMatchObject({ type: "test.export_range", request_id: requestId, data: { i: 1, note: 'comma, "quote"\nnew line' } });
    expect(Object.keys(lines[0])).toEqual(["seq", "type", "actor", "request_id", "agent_id", "occurred_at", "data", "prev_hash", "hash"]);
    expect(lines[1].seq).toBe(lines[0].seq + 1);
    expect(lines[1].prev_hash).toBe(lines[0].hash);

    const all = await (await reviewerFetch(auditorCookie, `/api/v1/admin/audit/export?request=${requestId}`)).text();
    expect(all.trimEnd().split("\n")).toHaveLength(4);
  });

  it("exports CSV quoted per RFC 4180, with formulas neutralised", async () => {
    const res = await fetch(`${baseUrl()}/api/v1/admin/audit/export?${range}&format=csv`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/csv/);
    const text = await res.text();
    const rows = text.split("\r\n");
    expect(rows[0]).toBe("seq,occurred_at,type,actor,request_id,agent_id,data,prev_hash,hash");
    expect(rows).toHaveLength(4); // header, two events, and the empty string after the last CRLF
    expect(rows[1]).toContain(`,test.export_range,system,${requestId},,"{""i"":1,""note"":""comma, \\""quote\\""\\nnew line""}",`);
    expect(rows[2]).toContain(`,"'=HYPERLINK(""http://evil.example"")",`);
  });

  it("exports the same through `countersign audit export` to a file", { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "audit-export-"));
    try {
      const file = path.join(dir, "out.csv");
      const r = await cli(["audit", "export", "--since", at(1), "--until", at(3), "--request", requestId, "--format", "csv", "--output", file]);
      expect(r.code, r.stderr).toBe(0);
      const api = await (await fetch(`${baseUrl()}/api/v1/admin/audit/export?${range}&format=csv`, { headers: { authorization: `Bearer ${token}` } })).text();
      expect(readFileSync(file, "utf8")).toBe(api);
      const bad = await cli(["audit", "export", "--since", "yesterday"]);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain("since");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("checkpoints and exports checkpoints through the CLI; shows the retention policy without changing it", { timeout: 120_000 }, async () => {
    const made = await cli(["audit", "checkpoint", "--json"]);
    expect(made.code, made.stderr).toBe(0);
    const { checkpoint } = JSON.parse(made.stdout);
    expect(checkpoint).toMatchObject({ seq: expect.any(Number), head_hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const listed = await cli(["audit", "checkpoints"]);
    expect(listed.code, listed.stderr).toBe(0);
    const all = listed.stdout
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(all.map((c) => c.seq)).toContain(checkpoint.seq);
    expect(all.map((c) => c.seq)).toEqual([...all.map((c) => c.seq)].sort((a, b) => a - b));
    const shown = await cli(["audit", "retention"]);
    expect(shown.stdout).toContain("kept forever");
  });

  it("admins set retention through the API, auditors read it, and both changes are chained events", async () => {
    const path = "/api/v1/admin/audit/retention";
    expect(await (await reviewerFetch(auditorCookie, path)).json()).toEqual({ days: null, chain_start_seq: 1 });
    await expectProblem(await reviewerFetch(auditorCookie, path, { method: "PUT", json: { days: 30 } }), 403, "forbidden");
    await expectProblem(await reviewerFetch(auditorCookie, `${path}/apply`, { method: "POST" }), 403, "forbidden");
    await expectProblem(await reviewerFetch(adminCookie, path, { method: "PUT", json: { days: 0 } }), 422, "validation_failed");
    await expectProblem(await reviewerFetch(adminCookie, path, { method: "PUT", json: { days: 1.5 } }), 422, "validation_failed");
    await expectProblem(await reviewerFetch(adminCookie, path, { method: "PUT", json: {} }), 422, "validation_failed");
    try {
      // A century: nothing in this run is that old, so applying deletes nothing.
      const set = await reviewerFetch(adminCookie, path, { method: "PUT", json: { days: 36_500 } });
      expect(await set.json()).toEqual({ days: 36_500, chain_start_seq: 1 });
      expect(await (await reviewerFetch(auditorCookie, path)).json()).toEqual({ days: 36_500, chain_start_seq: 1 });
      const applied = await reviewerFetch(adminCookie, `${path}/apply`, { method: "POST" });
      expect(await applied.json()).toEqual({ deleted: 0, from_seq: null, through_seq: null });
    } finally {
      expect((await reviewerFetch(adminCookie, path, { method: "PUT", json: { days: null } })).status).toBe(200);
    }
    const { rows } = await pool().query("SELECT data FROM audit_events WHERE type = 'audit.retention_set' AND actor LIKE 'user:%' ORDER BY id DESC LIMIT 2");
    expect(rows.map((r) => r.data)).toEqual([{ days: null }, { days: 36_500 }]);
  });

  it("the app's timer checkpoints the chain on its interval (retention untouched without a policy)", async () => {
    const { lastSeq } = await appendBulk(pool(), 1, () => ({ type: "test.timer", actor: "system" }));
    const before = (await pool().query("SELECT count(*)::int AS n FROM audit_events")).rows[0].n;
    const errors: Error[] = [];
    const stop = startCheckpointTimer(1, (err) => errors.push(err));
    try {
      await expect
        .poll(async () => (await pool().query("SELECT count(*)::int AS n FROM audit_checkpoints WHERE seq >= $1", [lastSeq.toString()])).rows[0].n, {
          timeout: 15_000,
        })
        .toBeGreaterThan(0);
    } finally {
      stop();
    }
    expect(errors).toEqual([]);
    expect((await pool().query("SELECT count(*)::int AS n FROM audit_events")).rows[0].n).toBeGreaterThanOrEqual(before);
  });

  it("lists events by filter and cursor, and shows one with its place in the chain", async () => {
    const first = await (await reviewerFetch(auditorCookie, `/api/v1/admin/audit/events?request=${requestId}&limit=3`)).json();
    expect(first.data.map((e: { data: { i: number } }) => e.data.i)).toEqual([3, 2, 1]);
    expect(first.next_cursor).toBe(String(first.data[2].seq));
    const second = await (await reviewerFetch(auditorCookie, `/api/v1/admin/audit/events?request=${requestId}&limit=3&cursor=${first.next_cursor}`)).json();
    expect(second).toMatchObject({ data: [{ data: { i: 0 } }], next_cursor: null });
    const byType = await (await reviewerFetch(auditorCookie, `/api/v1/admin/audit/events?type=test.*&actor=system&request=${requestId}`)).json();
    expect(byType.data).toHaveLength(3);
    const one = await (await reviewerFetch(auditorCookie, `/api/v1/admin/audit/events/${first.data[0].seq}`)).json();
    expect(one).toEqual(first.data[0]);
    await expectProblem(await reviewerFetch(auditorCookie, "/api/v1/admin/audit/events/999999999999"), 404, "not_found");
    await expectProblem(await reviewerFetch(auditorCookie, "/api/v1/admin/audit/events?since=yesterday"), 422, "validation_failed");
  });

  it("lets admins, auditors and admin tokens in; not reviewers, strangers or other sites", async () => {
    expect((await reviewerFetch(adminCookie, "/api/v1/admin/audit/events?limit=1")).status).toBe(200);
    expect((await fetch(`${baseUrl()}/api/v1/admin/audit/events?limit=1`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    await expectProblem(await reviewerFetch(reviewerCookie, "/api/v1/admin/audit/export"), 403, "forbidden");
    await expectProblem(await reviewerFetch(reviewerCookie, "/api/v1/admin/audit/verify", { method: "POST" }), 403, "forbidden");
    await expectProblem(await fetch(`${baseUrl()}/api/v1/admin/audit/export`), 401, "unauthenticated");
    await expectProblem(
      await fetch(`${baseUrl()}/api/v1/admin/audit/export`, { headers: { authorization: "Bearer csk_not_a_token" } }),
      401,
      "unauthenticated",
    );
    // A page on another site cannot start an export or a verification with an auditor's cookie.
    await expectProblem(
      await reviewerFetch(auditorCookie, "/api/v1/admin/audit/export", { origin: null, headers: { "sec-fetch-site": "cross-site" } }),
      403,
      "forbidden",
    );
    await expectProblem(await reviewerFetch(auditorCookie, "/api/v1/admin/audit/verify", { method: "POST", origin: "https://evil.example" }), 403, "forbidden");
    // Auditors read; creating a checkpoint is for admins and tokens.
    await expectProblem(await reviewerFetch(auditorCookie, "/api/v1/admin/audit/checkpoints", { method: "POST" }), 403, "forbidden");
  });

  it("verifies the live chain and creates checkpoints through the API", async () => {
    const created = await fetch(`${baseUrl()}/api/v1/admin/audit/checkpoints`, { method: "POST", headers: { authorization: `Bearer ${token}` } });
    expect([200, 201]).toContain(created.status);
    const { checkpoint } = await created.json();
    expect(decodeProtectedHeader(checkpoint.token)).toMatchObject({ typ: "countersign-checkpoint+jwt" });
    const list = await (await reviewerFetch(auditorCookie, "/api/v1/admin/audit/checkpoints")).json();
    expect(list.data.map((c: { seq: number }) => c.seq)).toContain(checkpoint.seq);
    const verified = await (await reviewerFetch(auditorCookie, "/api/v1/admin/audit/verify", { method: "POST" })).json();
    expect(verified).toMatchObject({ ok: true, broken_at: null, kind: null });
    expect(verified.head_seq).toBeGreaterThanOrEqual(checkpoint.seq);
    expect(verified.checkpoints).toBeGreaterThan(0);

    // Following progress: a line per batch, then the result.
    const streamed = await reviewerFetch(auditorCookie, "/api/v1/admin/audit/verify", { method: "POST", headers: { accept: "application/x-ndjson" } });
    expect(streamed.headers.get("content-type")).toMatch(/^application\/x-ndjson/);
    const lines = (await streamed.text())
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines.at(-1)).toMatchObject({ result: { ok: true } });
    expect(lines.slice(0, -1).length).toBeGreaterThan(0);
    expect(lines[0]).toMatchObject({ progress: { verified: expect.any(Number), head_seq: expect.any(Number) } });
  });
});

describe("retention (scratch database)", () => {
  let scratch: ScratchDatabase;
  const OLD = Date.UTC(2020, 0, 1);

  beforeAll(async () => {
    scratch = await scratchDatabase();
    await appendBulk(scratch.pool, 1000, (i) => ({ type: "test.old", actor: "system", data: { i }, occurredAt: new Date(OLD + i * 1000) }));
    await appendBulk(scratch.pool, 10, (i) => ({ type: "test.recent", actor: "system", data: { i } }));
  }, 180_000);

  afterAll(async () => {
    await scratch?.drop();
  });

  const source = () => sqlChainSource(scratch.pool);

  it("deletes nothing until an admin sets a policy", async () => {
    expect(await applyRetention("system", { db: scratch.pool })).toMatchObject({ deleted: 0 });
    const { rows } = await scratch.pool.query("SELECT count(*)::int AS n FROM audit_events");
    expect(rows[0].n).toBe(1010);
  });

  it("deletes old events from the start, records the cut in the chain, and verification succeeds from the cut", async () => {
    const { rows: cutRows } = await scratch.pool.query("SELECT hash FROM audit_events WHERE seq = 1000");
    await setRetention(30, "user:usr_retention_test", scratch.pool);
    const r = await applyRetention("system", { db: scratch.pool });
    expect(r).toEqual({ deleted: 1000, fromSeq: 1n, throughSeq: 1000n });
    const { rows } = await scratch.pool.query("SELECT seq::int, type, actor, data FROM audit_events WHERE type LIKE 'audit.%' ORDER BY seq");
    expect(rows).toEqual([
      { seq: 1011, type: "audit.retention_set", actor: "user:usr_retention_test", data: { days: 30 } },
      {
        seq: 1012,
        type: "audit.events_deleted",
        actor: "system",
        data: expect.objectContaining({ from_seq: "1", through_seq: "1000", count: 1000, hash_at_cut: cutRows[0].hash, retention_days: 30 }),
      },
    ]);
    expect(await verifyChain({ source: source() })).toMatchObject({ ok: true, fromSeq: 1001n, headSeq: 1012n, events: 12 });
    // Applying again finds nothing old.
    expect(await applyRetention("system", { db: scratch.pool })).toMatchObject({ deleted: 0 });
  });

  it("a prefix deleted any other way still breaks the chain", async () => {
    // Someone deletes event 1001 too and moves the start past it: no chained record vouches for that cut.
    const { rows } = await scratch.pool.query("SELECT hash FROM audit_events WHERE seq = 1001");
    await scratch.pool.query("DELETE FROM audit_events WHERE seq = 1001");
    await scratch.pool.query("UPDATE settings SET value = $1 WHERE key = 'audit.chain_start'", [JSON.stringify({ seq: "1002", prev_hash: rows[0].hash })]);
    expect(await verifyChain({ source: source() })).toMatchObject({ ok: false, kind: "missing", brokenAt: 1001n });
  });
});
