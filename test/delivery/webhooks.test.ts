import http from "node:http";
import { randomBytes } from "node:crypto";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAdminToken } from "../../lib/admin-tokens/admin-tokens.ts";
import { pool } from "../../lib/db.ts";
import { dispatchWebhooks } from "../../lib/delivery/dispatch.ts";
import { deliverDue } from "../../lib/delivery/worker.ts";
import { closeHub } from "../../lib/events/hub.ts";
import {
  agentFetch,
  baseUrl,
  createPending,
  decide,
  expectProblem,
  newAgent,
  newUser,
  reviewerFetch,
  sampleRequest,
  signIn,
  unique,
} from "../support/fixtures.ts";
import { eventually, Receiver } from "./receiver.ts";

let admin: string;
let reviewer: string;
let auditor: string;
const receivers: Receiver[] = [];

beforeAll(async () => {
  const [a, r, u] = await Promise.all([newUser("admin"), newUser("reviewer"), newUser("auditor")]);
  [admin, reviewer, auditor] = await Promise.all([signIn(a), signIn(r), signIn(u)]);
});
afterAll(async () => {
  // Endpoints of this file stop receiving, so other suites' events do not pile up for them.
  await pool().query("UPDATE webhook_endpoints SET enabled = false WHERE url = ANY($1)", [receivers.map((r) => r.url)]);
  await Promise.all(receivers.map((r) => r.down()));
  await closeHub();
});

async function receiver(): Promise<Receiver> {
  const r = await Receiver.start();
  receivers.push(r);
  return r;
}

async function createEndpoint(url: string, eventTypes: string[], extra: Record<string, unknown> = {}): Promise<{ id: string; secret: string }> {
  const res = await reviewerFetch(admin, "/api/v1/admin/webhooks", {
    method: "POST",
    json: { url, event_types: eventTypes, description: unique("hook"), ...extra },
  });
  expect(res.status, await res.clone().text()).toBe(201);
  const body = await res.json();
  expect(body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
  return { id: body.endpoint.id, secret: body.secret };
}

async function deliveries(query: string): Promise<any[]> {
  const res = await reviewerFetch(admin, `/api/v1/admin/deliveries?${query}`);
  expect(res.status).toBe(200);
  return (await res.json()).data;
}

/** Verifies a delivery as a receiver would, with the standardwebhooks library. */
function verify(secret: string, r: { body: string; headers: Record<string, string> }): any {
  return new Webhook(secret).verify(r.body, {
    "webhook-id": r.headers["webhook-id"],
    "webhook-timestamp": r.headers["webhook-timestamp"],
    "webhook-signature": r.headers["webhook-signature"],
  });
}

describe("webhook endpoints", () => {
  it("deliver request events signed per Standard Webhooks, with a deep link and a line of text, and no grant token", async () => {
    const rx = await receiver();
    const { secret } = await createEndpoint(rx.url, ["request.created", "request.decided"]);
    const agent = await newAgent();
    const { id } = await createPending(agent);
    expect((await decide(reviewer, id, "approve", "customer verified")).status).toBe(200);
    const approved = await (await agentFetch(agent.key, `/api/v1/requests/${id}`)).json();

    await rx.waitFor((all) => all.filter((r) => r.json.data?.request?.id === id).length >= 2, 30_000, "created and decided");
    const [created, decided] = ["request.created", "request.decided"].map((t) => rx.forRequest(id).find((r) => r.json.type === t)!);
    for (const r of [created, decided]) {
      expect(verify(secret, r)).toEqual(r.json);
      expect(r.headers["webhook-id"]).toMatch(/^msg_[0-9a-f]{32}$/);
      expect(() => verify(`whsec_${randomBytes(32).toString("base64")}`, r)).toThrow();
      expect(r.body).not.toContain(approved.grant.token);
      expect(r.body).not.toContain(agent.key);
    }
    expect(created.json.data.request).toEqual({
      id,
      action: "payments.refund",
      resource: "customer:cus_123",
      summary: "Refund $500 to customer cus_123",
      status: "pending",
      agent: { id: agent.agentId, name: agent.name },
      url: `${baseUrl()}/requests/${id}`,
    });
    expect(created.json.text).toContain(`${baseUrl()}/requests/${id}`);
    expect(decided.json.data.request.status).toBe("approved");
    expect(decided.json.data.request.decision).toMatchObject({ status: "approved", reason: "customer verified" });
    expect(decided.json.text).toMatch(/^Approved by .+: "Refund \$500 to customer cus_123"/);
    expect(typeof decided.json.timestamp).toBe("string");
  });

  it("warn in the text line about hidden characters, in params too, and write them as markers", async () => {
    const rx = await receiver();
    await createEndpoint(rx.url, ["request.created"]);
    const agent = await newAgent();
    const { id } = await createPending(agent, {
      summary: "Pay acct_\u202e1234_evil\u202c",
      params: { to: "acct_\u202e1234_evil\u202c", note: "line one\nline two" },
    });
    await rx.waitFor((all) => all.some((r) => r.json.data?.request?.id === id), 30_000, "created");
    const created = rx.forRequest(id)[0].json;
    expect(created.text).toMatch(
      /^⚠ This request contains hidden or direction-changing characters: summary: U\+202E RIGHT-TO-LEFT OVERRIDE, U\+202C POP DIRECTIONAL FORMATTING; params\.to: U\+202E/,
    );
    expect(created.text).toContain('asks for approval: "Pay acct_⟨U+202E RLO⟩1234_evil⟨U+202C PDF⟩"');
    expect(created.text).not.toMatch(/[\u202e\u202c]/);
    // The structured data is exact, for machines.
    expect(created.data.request.summary).toBe("Pay acct_\u202e1234_evil\u202c");
  });

  it("send only the event types an endpoint subscribes to", async () => {
    const rx = await receiver();
    const { id: endpointId } = await createEndpoint(rx.url, ["request.decided"]);
    const agent = await newAgent();
    const { id } = await createPending(agent);
    expect((await decide(reviewer, id, "deny", "not covered")).status).toBe(200);
    await rx.waitFor(() => rx.forRequest(id).length >= 1, 30_000, "the decision");
    expect(rx.forRequest(id).map((r) => r.json.type)).toEqual(["request.decided"]);
    expect(rx.forRequest(id)[0].json.data.request.decision).toMatchObject({ status: "denied", reason: "not covered" });
    // Everything queued for this endpoint, by anyone's events, is a decision.
    const types = new Set((await deliveries(`endpoint_id=${endpointId}&limit=200`)).map((d) => d.event_type));
    expect([...types]).toEqual(["request.decided"]);
  });

  it("retry after the receiver was down: every event arrives, duplicates only by webhook-id", async () => {
    const rx = await receiver();
    const { id: endpointId, secret } = await createEndpoint(rx.url, ["request.created"]);
    await rx.down();
    const agent = await newAgent();
    const ids = (await Promise.all(Array.from({ length: 5 }, () => createPending(agent)))).map((r) => r.id);
    const mine = (ds: any[]) => ds.filter((d) => ids.includes(d.request_id));
    // The app's worker tries, finds the port closed, and schedules retries.
    await eventually(
      () => deliveries(`endpoint_id=${endpointId}&limit=200`),
      (ds) => mine(ds).length === 5 && mine(ds).every((d) => d.status === "failed"),
    );
    const failed = mine(await deliveries(`endpoint_id=${endpointId}&limit=200`));
    expect(failed.every((d) => d.attempts >= 1 && d.last_error && d.response_status === null)).toBe(true);

    await rx.up();
    // Run the worker as if the backoff had passed (the app's own worker may deliver some as well).
    await deliverDue({ now: new Date(Date.now() + 3600_000), limit: 50 });
    await rx.waitFor(() => ids.every((id) => rx.forRequest(id).length > 0), 30_000, "all five requests");
    const arrived = ids.flatMap((id) => rx.forRequest(id));
    for (const r of arrived) verify(secret, r);
    const byWebhookId = new Map<string, number>();
    for (const r of arrived) byWebhookId.set(r.headers["webhook-id"], (byWebhookId.get(r.headers["webhook-id"]) ?? 0) + 1);
    expect(byWebhookId.size).toBe(5);
    const duplicates = arrived.length - byWebhookId.size;
    expect(duplicates).toBeLessThanOrEqual(5);
    const after = await eventually(
      () => deliveries(`endpoint_id=${endpointId}&limit=200`),
      (ds) => mine(ds).every((d) => d.status === "delivered"),
    );
    expect(mine(after).every((d) => d.attempts >= 2 && d.delivered_at && d.response_status === 200)).toBe(true);
  });

  it("several dispatchers and workers at once queue each event once and send each delivery once", async () => {
    const rx = await receiver();
    const { id: endpointId } = await createEndpoint(rx.url, ["request.created"], { enabled: false });
    // Test events queued while the endpoint is disabled wait, unclaimed.
    const queued = await Promise.all(
      Array.from(
        { length: 40 },
        async () => (await (await reviewerFetch(admin, `/api/v1/admin/webhooks/${endpointId}/test`, { method: "POST" })).json()).id as string,
      ),
    );
    await pool().query("UPDATE webhook_endpoints SET enabled = true WHERE id = $1", [endpointId]);
    const agent = await newAgent();
    const requests = (await Promise.all(Array.from({ length: 10 }, () => createPending(agent)))).map((r) => r.id);
    // Four dispatchers and four workers in this process, racing each other and the app's own.
    await Promise.all([
      ...Array.from({ length: 4 }, () => dispatchWebhooks()),
      ...Array.from({ length: 4 }, async () => {
        while ((await deliverDue({ limit: 5 })) > 0) {
          // drain
        }
      }),
    ]);
    await Promise.all(Array.from({ length: 4 }, () => deliverDue({ limit: 20 })));
    await rx.waitFor(
      (all) => queued.every((id) => all.some((r) => r.headers["webhook-id"] === id)) && requests.every((id) => rx.forRequest(id).length > 0),
      30_000,
      "40 tests and 10 requests",
    );
    const ids = rx.received.map((r) => r.headers["webhook-id"]);
    expect(ids.length).toBe(new Set(ids).size);
    const { rows } = await pool().query(
      "SELECT event_seq, count(*)::int AS n FROM deliveries WHERE endpoint_id = $1 AND event_seq IS NOT NULL GROUP BY event_seq HAVING count(*) > 1",
      [endpointId],
    );
    expect(rows).toEqual([]);
  });

  it("a failed delivery can be retried by hand, once it failed; the retry is audit-logged", async () => {
    const rx = await receiver();
    rx.status = 500;
    const { id: endpointId } = await createEndpoint(rx.url, ["agent.suspended"]);
    const queued = await (await reviewerFetch(admin, `/api/v1/admin/webhooks/${endpointId}/test`, { method: "POST" })).json();
    expect(queued).toMatchObject({ event_type: "webhook.test", status: "pending", endpoint_id: endpointId });
    const [failed] = await eventually(
      () => deliveries(`endpoint_id=${endpointId}`),
      (ds) => ds[0]?.status === "failed",
    );
    expect(failed).toMatchObject({ id: queued.id, response_status: 500, last_error: "the receiver answered 500", attempts: 1 });

    expect((await reviewerFetch(auditor, `/api/v1/admin/deliveries/${failed.id}/retry`, { method: "POST" })).status).toBe(403);
    rx.status = 200;
    const retried = await reviewerFetch(admin, `/api/v1/admin/deliveries/${failed.id}/retry`, { method: "POST" });
    expect(retried.status).toBe(202);
    expect((await retried.json()).status).toBe("pending");
    await rx.waitFor((all) => all.some((r) => r.headers["webhook-id"] === failed.id), 30_000, "the retried test event");
    expect(rx.received[0].json).toMatchObject({ type: "webhook.test", data: { endpoint_id: endpointId } });
    const [done] = await eventually(
      () => deliveries(`endpoint_id=${endpointId}`),
      (ds) => ds[0]?.status === "delivered",
    );
    expect(done.attempts).toBe(2);
    await expectProblem(await reviewerFetch(admin, `/api/v1/admin/deliveries/${failed.id}/retry`, { method: "POST" }), 409, "conflict");
    await expectProblem(await reviewerFetch(admin, "/api/v1/admin/deliveries/msg_nope/retry", { method: "POST" }), 404, "not_found");
    const { rows } = await pool().query("SELECT actor FROM audit_events WHERE type = 'webhook.delivery_retried' AND data ->> 'delivery_id' = $1", [failed.id]);
    expect(rows).toHaveLength(1);
  });

  it("can be edited, disabled, re-keyed and deleted, each change in the audit log", async () => {
    const rx = await receiver();
    const { id, secret } = await createEndpoint(rx.url, ["request.created"]);
    const patched = await reviewerFetch(admin, `/api/v1/admin/webhooks/${id}`, {
      method: "PATCH",
      json: { event_types: ["request.decided", "grant.redeemed"], enabled: false },
    });
    expect(patched.status).toBe(200);
    expect(await patched.json()).toMatchObject({ id, event_types: ["request.decided", "grant.redeemed"], enabled: false });
    const rotated = await (await reviewerFetch(admin, `/api/v1/admin/webhooks/${id}/rotate-secret`, { method: "POST" })).json();
    expect(rotated.secret).toMatch(/^whsec_/);
    expect(rotated.secret).not.toBe(secret);
    const listed = await (await reviewerFetch(auditor, "/api/v1/admin/webhooks")).json();
    const shown = listed.data.find((e: any) => e.id === id);
    expect(shown).toBeDefined();
    expect(JSON.stringify(listed)).not.toContain(rotated.secret.slice(6));
    expect(listed.event_types).toContain("agent.suspended");
    expect((await reviewerFetch(admin, `/api/v1/admin/webhooks/${id}`, { method: "DELETE" })).status).toBe(204);
    await expectProblem(await reviewerFetch(admin, `/api/v1/admin/webhooks/${id}`), 404, "not_found");
    const { rows } = await pool().query("SELECT type FROM audit_events WHERE type LIKE 'webhook.%' AND data ->> 'endpoint_id' = $1 ORDER BY id", [id]);
    expect(rows.map((r) => r.type)).toEqual(["webhook.endpoint_created", "webhook.endpoint_updated", "webhook.secret_rotated", "webhook.endpoint_deleted"]);
  });

  it("refuse metadata and link-local addresses in every spelling, and plain http beyond localhost", async () => {
    for (const url of [
      "https://169.254.169.254/latest/meta-data",
      "https://[::ffff:169.254.169.254]/",
      "https://[::ffff:a9fe:a9fe]/",
      "https://[64:ff9b::a9fe:a9fe]/",
      "https://[::a9fe:a9fe]/",
      "https://2852039166/",
      "https://0xa9.0xfe.0xa9.0xfe/",
      "https://[fe80::1]/hook",
      "http://example.com/hook",
      "http://[::ffff:10.0.0.1]/hook",
      "ftp://example.com/x",
      "https://user:pw@example.com/",
    ]) {
      const res = await reviewerFetch(admin, "/api/v1/admin/webhooks", { method: "POST", json: { url, event_types: ["request.created"] } });
      const problem = await expectProblem(res, 422, "validation_failed");
      expect(problem.errors?.[0]?.path, url).toBe("url");
    }
    await expectProblem(
      await reviewerFetch(admin, "/api/v1/admin/webhooks", { method: "POST", json: { url: "https://example.com", event_types: ["request.nope"] } }),
      422,
      "validation_failed",
    );
  });

  it("do not follow a redirect: a 302 is a failed attempt, and its Location gets nothing", async () => {
    const hits = { bouncer: 0, target: 0 };
    const target = http.createServer((_req, res) => {
      hits.target++;
      res.writeHead(204).end();
    });
    const bouncer = http.createServer((req, res) =>
      req.resume().on("end", () => {
        hits.bouncer++;
        res.writeHead(302, { location: `http://127.0.0.1:${port(target)}/internal` }).end();
      }),
    );
    const port = (s: http.Server) => (s.address() as { port: number }).port;
    await Promise.all([target, bouncer].map((s) => new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()))));
    try {
      const { id: endpointId } = await createEndpoint(`http://127.0.0.1:${port(bouncer)}/hook`, ["agent.suspended"]);
      const queued = await (await reviewerFetch(admin, `/api/v1/admin/webhooks/${endpointId}/test`, { method: "POST" })).json();
      const [failed] = await eventually(
        () => deliveries(`endpoint_id=${endpointId}`),
        (ds) => ds[0]?.id === queued.id && ds[0].status !== "pending",
      );
      expect(failed).toMatchObject({ status: "failed", response_status: 302, last_error: "the receiver answered 302" });
      expect(hits.bouncer).toBeGreaterThanOrEqual(1);
      expect(hits.target).toBe(0);
      await pool().query("UPDATE webhook_endpoints SET enabled = false WHERE id = $1", [endpointId]);
    } finally {
      bouncer.close();
      target.close();
    }
  });

  it("are for admins: reviewers get 403, auditors read only, admin tokens may write", async () => {
    await expectProblem(await reviewerFetch(reviewer, "/api/v1/admin/webhooks"), 403, "forbidden");
    await expectProblem(await reviewerFetch(reviewer, "/api/v1/admin/deliveries"), 403, "forbidden");
    await expectProblem(
      await reviewerFetch(reviewer, "/api/v1/admin/webhooks", { method: "POST", json: { url: "https://example.com", event_types: ["request.created"] } }),
      403,
      "forbidden",
    );
    expect((await reviewerFetch(auditor, "/api/v1/admin/deliveries")).status).toBe(200);
    await expectProblem(
      await reviewerFetch(auditor, "/api/v1/admin/webhooks", { method: "POST", json: { url: "https://example.com", event_types: ["request.created"] } }),
      403,
      "forbidden",
    );
    await expectProblem(await fetch(`${baseUrl()}/api/v1/admin/webhooks`), 401, "unauthenticated");
    const { token } = await createAdminToken({ name: unique("hooks"), actor: "test" });
    const res = await fetch(`${baseUrl()}/api/v1/admin/webhooks`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ url: "https://hooks.example.com/ci", event_types: ["agent.suspended"], enabled: false }),
    });
    expect(res.status).toBe(201);
  });
});

describe("a request's callback_url", () => {
  it("gets request.decided signed with the agent's callback secret, shown when the agent is created and when rotated", async () => {
    const rx = await receiver();
    const created = await (await reviewerFetch(admin, "/api/v1/admin/agents", { method: "POST", json: { name: unique("cb-agent") } })).json();
    expect(created.callback_secret).toMatch(/^whsec_/);
    const key = created.key as string;
    const ask = async () => {
      const res = await agentFetch(key, "/api/v1/requests", { method: "POST", json: sampleRequest({ callback_url: rx.url }) });
      expect(res.status).toBe(201);
      return (await res.json()).id as string;
    };
    const first = await ask();
    expect((await decide(reviewer, first, "approve", "ok")).status).toBe(200);
    await rx.waitFor(() => rx.forRequest(first).length > 0, 30_000, "the callback");
    const [callback] = rx.forRequest(first);
    expect(verify(created.callback_secret, callback)).toMatchObject({
      type: "request.decided",
      data: { request: { id: first, status: "approved", agent: { id: created.agent.id } } },
    });
    expect(rx.forRequest(first)).toHaveLength(1);
    const grant = (await (await agentFetch(key, `/api/v1/requests/${first}`)).json()).grant.token;
    expect(callback.body).not.toContain(grant);

    const rotated = await reviewerFetch(admin, `/api/v1/admin/agents/${created.agent.id}/callback-secret`, { method: "POST" });
    expect(rotated.status).toBe(200);
    const { secret } = await rotated.json();
    await expectProblem(await reviewerFetch(auditor, `/api/v1/admin/agents/${created.agent.id}/callback-secret`, { method: "POST" }), 403, "forbidden");
    const second = await ask();
    expect((await agentFetch(key, `/api/v1/requests/${second}/cancel`, { method: "POST" })).status).toBe(200);
    await rx.waitFor(() => rx.forRequest(second).length > 0, 30_000, "the cancellation callback");
    const [cancelled] = rx.forRequest(second);
    expect(verify(secret, cancelled)).toMatchObject({ type: "request.decided", data: { request: { id: second, status: "cancelled" } } });
    expect(() => verify(created.callback_secret, cancelled)).toThrow();
    const history = await deliveries(`agent_id=${created.agent.id}`);
    expect(history.map((d) => d.request_id).sort()).toEqual([first, second].sort());
  });
});
