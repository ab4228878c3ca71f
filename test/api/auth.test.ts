import { describe, expect, it } from "vitest";
import { db, pool } from "../../lib/db.ts";
import { randomSecret } from "../../lib/ids.ts";
import { agentFetch, baseUrl, createPending, expectProblem, keyIdOf, newAgent, sampleRequest } from "../support/fixtures.ts";

/** The status and exact body text of a create attempt with `authorization` (or none). */
async function attempt(authorization: string | null): Promise<{ status: number; body: string; type: string | null }> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (authorization !== null) headers.authorization = authorization;
  const res = await fetch(`${baseUrl()}/api/v1/requests`, { method: "POST", headers, body: JSON.stringify(sampleRequest()) });
  return { status: res.status, body: await res.text(), type: res.headers.get("content-type") };
}

describe("agent authentication", () => {
  it("records a key's last use without waiting on a locked agent row (a touch never holds a connection on a lock)", async () => {
    const agent = await newAgent();
    const client = await pool().connect();
    try {
      await client.query("BEGIN");
      await client.query("SELECT 1 FROM agents WHERE id = $1 FOR UPDATE", [agent.agentId]);
      expect((await agentFetch(agent.key, "/api/v1/requests")).status).toBe(200);
      // The touch skips the locked agent row and still records the key's use: it did not wait for the lock.
      let usedAt: Date | null = null;
      for (let i = 0; i < 100 && !usedAt; i++) {
        usedAt = (await pool().query("SELECT last_used_at FROM agent_keys WHERE id = $1", [keyIdOf(agent.key)])).rows[0]?.last_used_at ?? null;
        if (!usedAt) await new Promise((r) => setTimeout(r, 50));
      }
      expect(usedAt).not.toBeNull();
    } finally {
      await client.query("ROLLBACK");
      client.release();
    }
  });

  it("answers every kind of bad key with the same 401 body", async () => {
    const valid = await newAgent();
    const id = keyIdOf(valid.key);
    const revoked = await newAgent();
    await db().updateTable("agentKeys").set({ revokedAt: new Date() }).where("id", "=", keyIdOf(revoked.key)).execute();
    const expired = await newAgent();
    await db()
      .updateTable("agentKeys")
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where("id", "=", keyIdOf(expired.key))
      .execute();
    const retired = await newAgent();
    await db().updateTable("agents").set({ status: "retired" }).where("id", "=", retired.agentId).execute();

    const cases: Record<string, string | null> = {
      missing: null,
      "not bearer": `Basic ${Buffer.from("a:b").toString("base64")}`,
      "empty bearer": "Bearer ",
      malformed: "Bearer not-a-key",
      "unknown key id": `Bearer csk_${randomSecret(9)}_${randomSecret(32)}`,
      "wrong secret": `Bearer csk_${id}_${randomSecret(32)}`,
      revoked: `Bearer ${revoked.key}`,
      expired: `Bearer ${expired.key}`,
      "retired agent": `Bearer ${retired.key}`,
    };
    const results = Object.fromEntries(await Promise.all(Object.entries(cases).map(async ([name, h]) => [name, await attempt(h)] as const)));
    for (const [name, r] of Object.entries(results)) {
      expect({ name, status: r.status, type: r.type }).toEqual({ name, status: 401, type: "application/problem+json" });
      expect({ name, body: r.body }).toEqual({ name, body: results.missing.body });
    }
    expect(JSON.parse(results.missing.body)).toMatchObject({ status: 401, code: "unauthenticated" });

    // The same agent's valid key still works: the failures above were about the keys.
    expect((await attempt(`Bearer ${valid.key}`)).status).toBe(201);
  });

  it("refuses a suspended agent with 403 agent_suspended", async () => {
    const agent = await newAgent();
    const { id } = await createPending(agent);
    await db().updateTable("agents").set({ status: "suspended" }).where("id", "=", agent.agentId).execute();
    await expectProblem(await agentFetch(agent.key, "/api/v1/requests", { method: "POST", json: sampleRequest() }), 403, "agent_suspended");
    await expectProblem(await agentFetch(agent.key, `/api/v1/requests/${id}`), 403, "agent_suspended");
  });

  it("hides another agent's request: 404 on read, cancel and outcome, like a missing one", async () => {
    const owner = await newAgent();
    const stranger = await newAgent();
    const { id } = await createPending(owner);

    const missing = await agentFetch(stranger.key, `/api/v1/requests/req_00000000000000000000000000`);
    const missingDetail = (await expectProblem(missing, 404, "not_found")).detail;

    const read = await expectProblem(await agentFetch(stranger.key, `/api/v1/requests/${id}`), 404, "not_found");
    expect(read.detail).toBe(missingDetail);
    await expectProblem(await agentFetch(stranger.key, `/api/v1/requests/${id}?wait=5`), 404, "not_found");
    await expectProblem(await agentFetch(stranger.key, `/api/v1/requests/${id}/cancel`, { method: "POST" }), 404, "not_found");
    await expectProblem(await agentFetch(stranger.key, `/api/v1/requests/${id}/outcome`, { method: "POST", json: { status: "succeeded" } }), 404, "not_found");

    const list = await (await agentFetch(stranger.key, "/api/v1/requests")).json();
    expect(list.data.map((r: { id: string }) => r.id)).not.toContain(id);
    // Nothing changed for the owner.
    expect((await (await agentFetch(owner.key, `/api/v1/requests/${id}`)).json()).status).toBe("pending");
  });
});
