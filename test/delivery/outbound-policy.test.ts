import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ALWAYS_REFUSED_URLS } from "../support/outbound-urls.ts";
import { createAgent } from "../../lib/agents/create-agent.ts";
import { disconnectDb, pool } from "../../lib/db.ts";
import { deliveryConfigOf, type DeliveryConfig } from "../../lib/delivery/config.ts";
import { ensureCursor } from "../../lib/delivery/dispatch.ts";
import { createEndpoint } from "../../lib/delivery/endpoints.ts";
import { forwardToSink } from "../../lib/delivery/siem.ts";
import { awaitSealed } from "../../lib/audit/sealer.ts";
import { parseEnv, resetEnv } from "../../lib/env.ts";
import { closeHub } from "../../lib/events/hub.ts";
import { closeSmtp, sendEmail } from "../../lib/notifications/smtp.ts";
import { createUser } from "../../lib/users/create-user.ts";
import { expectProblem, expectValidationError, sampleRequest, unique } from "../support/fixtures.ts";
import { passwordSignIn } from "../support/password-sign-in.ts";
import { freePort, startTestApp, startTestDatabase, type TestApp, type TestDatabase } from "../support/test-server.ts";
import { eventually } from "./receiver.ts";

/**
 * An app with the default outbound policy (no private destinations, no
 * private callbacks; plain http to localhost allowed so that the address, not
 * the scheme, is what gets refused), on its own database so the suite's main
 * app (which allows its 127.0.0.1 receivers) never picks up its deliveries.
 * Nothing here sends traffic beyond loopback: every refusal happens before
 * connecting, and the listeners on 127.0.0.1 prove nothing arrived.
 */
const STRICT = { COUNTERSIGN_ALLOW_HTTP_WEBHOOKS: "true", COUNTERSIGN_OUTBOUND_ALLOW_PRIVATE: "false", COUNTERSIGN_ALLOW_PRIVATE_CALLBACKS: "false" };

let database: TestDatabase;
let app: TestApp;
let admin: string;
let agentKey: string;
let agentId: string;

/** A TCP listener on 127.0.0.1 that counts connections (HTTP, SMTP or syslog alike). */
async function listener(): Promise<{ port: number; connections: () => number; close: () => Promise<void> }> {
  let count = 0;
  const server = net.createServer((socket) => {
    count++;
    socket.destroy();
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", () => resolve()));
  return { port, connections: () => count, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

function call(path: string, init: RequestInit & { json?: unknown; cookie?: string; bearer?: string } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (init.cookie) headers.set("cookie", init.cookie);
  if (init.cookie) headers.set("origin", app.url);
  if (init.bearer) headers.set("authorization", `Bearer ${init.bearer}`);
  if (init.json !== undefined) headers.set("content-type", "application/json");
  return fetch(app.url + path, { ...init, headers, body: init.json !== undefined ? JSON.stringify(init.json) : init.body });
}

beforeAll(async () => {
  database = await startTestDatabase();
  // Domain calls from this file go to this suite's database.
  process.env.DATABASE_URL = database.url;
  // Read again: starting the database may already have parsed the environment (and its DATABASE_URL).
  resetEnv();
  app = await startTestApp(database.url, STRICT);
  const email = `${unique("admin")}@example.test`;
  const password = unique("pw-long-enough");
  await createUser({ email, role: "admin", password, actor: "test" });
  admin = (await passwordSignIn(app.url, { email, password }))!;
  expect(admin).toBeTruthy();
  const agent = await createAgent({ name: unique("agent"), ownerEmail: null, actor: "test" });
  [agentKey, agentId] = [agent.key, agent.agentId];
});

afterAll(async () => {
  closeSmtp();
  await app?.stop();
  await closeHub();
  await disconnectDb();
  await database?.stop();
});

describe("webhook endpoints under the default policy", () => {
  const PRIVATE = [
    "http://localhost:8080/hook",
    "http://[::ffff:127.0.0.1]:8080/hook",
    "http://127.0.0.1:8080/hook",
    "https://10.0.0.5/hook",
    "https://[fd00::1]/hook",
    "https://100.64.0.1/hook",
  ];

  it.each([...ALWAYS_REFUSED_URLS, ...PRIVATE])("refuses to save %s with 422 naming url", async (url) => {
    const problem = await expectProblem(
      await call("/api/v1/admin/webhooks", { method: "POST", cookie: admin, json: { url, event_types: ["request.created"] } }),
      422,
      "validation_failed",
    );
    expect(problem.errors?.[0]?.path).toBe("url");
    expect(problem.detail).toMatch(PRIVATE.includes(url) ? /COUNTERSIGN_OUTBOUND_ALLOW_PRIVATE=true/ : /always refused/);
  });

  it("refuses to change a saved endpoint to such an address", async () => {
    const saved = await call("/api/v1/admin/webhooks", {
      method: "POST",
      cookie: admin,
      json: { url: "https://hooks.example.com/x", event_types: ["request.created"], enabled: false },
    });
    expect(saved.status).toBe(201);
    const { endpoint } = await saved.json();
    await expectValidationError(
      await call(`/api/v1/admin/webhooks/${endpoint.id}`, { method: "PATCH", cookie: admin, json: { url: "https://[::ffff:a9fe:a9fe]/" } }),
      "url",
    );
  });

  it("a test delivery to a name that resolves to loopback is refused when connecting, and nothing arrives", async () => {
    const rx = await listener();
    try {
      // Saved while private destinations were allowed (this process allows them); the app no longer does.
      const { endpoint } = await createEndpoint({ url: `http://localhost:${rx.port}/hook`, eventTypes: ["agent.suspended"], actor: "test" });
      const queued = await call(`/api/v1/admin/webhooks/${endpoint.id}/test`, { method: "POST", cookie: admin });
      expect(queued.status).toBe(202);
      const { id } = await queued.json();
      const [delivery] = await eventually(
        async () => (await (await call(`/api/v1/admin/deliveries?endpoint_id=${endpoint.id}`, { cookie: admin })).json()).data as any[],
        (ds) => ds.some((d) => d.id === id && d.status !== "pending"),
      );
      expect(delivery).toMatchObject({ id, status: "dead", response_status: null });
      expect(delivery.last_error).toMatch(
        /^refused: localhost resolves to (127\.0\.0\.1|::1): .*loopback; private destinations need COUNTERSIGN_OUTBOUND_ALLOW_PRIVATE=true$/,
      );
      expect(rx.connections()).toBe(0);
    } finally {
      await rx.close();
    }
  });
});

describe("an agent's callback_url under the default policy", () => {
  it.each([
    () => `http://[::ffff:127.0.0.1]:${new URL(database.url).port}/`,
    () => `https://[::ffff:7f00:1]:${new URL(database.url).port}/`,
    () => "http://localhost:8080/cb",
    () => "https://192.168.1.10/cb",
    () => "https://[::ffff:169.254.169.254]/latest/meta-data",
    () => "https://[64:ff9b::a9fe:a9fe]/",
    () => "https://2852039166/",
  ])("refuses %s at create with 422 naming callback_url", async (url) => {
    const res = await call("/api/v1/requests", { method: "POST", bearer: agentKey, json: sampleRequest({ callback_url: url() }) });
    const problem = await expectValidationError(res, "callback_url");
    expect(problem.errors?.[0]?.path).toBe("callback_url");
    const { rows } = await pool().query("SELECT count(*)::int AS n FROM action_requests WHERE agent_id = $1", [agentId]);
    expect(rows[0].n).toBe(0);
  });

  it("takes a public https callback_url", async () => {
    const res = await call("/api/v1/requests", {
      method: "POST",
      bearer: agentKey,
      json: sampleRequest({ callback_url: "https://agent.example.com/hooks/countersign" }),
    });
    expect(res.status).toBe(201);
  });
});

describe("SIEM and SMTP connections under the default policy", () => {
  const strict: DeliveryConfig = deliveryConfigOf(parseEnv({ ...STRICT, COUNTERSIGN_WEBHOOK_TIMEOUT_SECONDS: "5" }));

  it("a syslog sink whose name resolves to loopback keeps its cursor and records the refusal; nothing connects", async () => {
    const rx = await listener();
    try {
      for (const transport of ["tcp", "udp"] as const) {
        const sink = { kind: "syslog" as const, id: `siem:syslog:${transport}://localhost:${rx.port}`, transport, host: "localhost", port: rx.port };
        await ensureCursor(sink.id);
        const before = (await pool().query("SELECT position FROM delivery_cursors WHERE id = $1", [sink.id])).rows[0].position;
        // An event after the cursor, for the sink to forward.
        await createAgent({ name: unique("siem"), ownerEmail: null, actor: "test" });
        await awaitSealed();
        expect(await forwardToSink(sink, { config: strict })).toBe(0);
        const { rows } = await pool().query("SELECT position, attempts, last_error FROM delivery_cursors WHERE id = $1", [sink.id]);
        expect(rows[0]).toMatchObject({ position: before, attempts: 1 });
        expect(rows[0].last_error).toMatch(/^refused: localhost resolves to .*loopback/);
      }
      const https = {
        kind: "https" as const,
        id: `siem:https:http://[::ffff:7f00:1]:${rx.port}/`,
        url: `http://[::ffff:7f00:1]:${rx.port}/`,
        secret: `whsec_${"A".repeat(43)}=`,
      };
      await ensureCursor(https.id);
      await createAgent({ name: unique("siem"), ownerEmail: null, actor: "test" });
      await awaitSealed();
      expect(await forwardToSink(https, { config: strict })).toBe(0);
      const { rows } = await pool().query("SELECT last_error FROM delivery_cursors WHERE id = $1", [https.id]);
      expect(rows[0].last_error).toMatch(/^refused: .*loopback/);
      expect(rx.connections()).toBe(0);
    } finally {
      await rx.close();
    }
  });

  it("email to an SMTP server whose name resolves to loopback is refused before connecting", async () => {
    const rx = await listener();
    try {
      const config = { smtpUrl: `smtp://localhost:${rx.port}`, from: "Countersign <c@example.test>", policy: strict.destinations };
      const result = await sendEmail("msg_test", { to: "rita@example.test", subject: "s", text: "t", html: "<p>t</p>" }, config, 5000);
      expect(result).toMatchObject({ ok: false, status: null, permanent: true });
      expect(result.error).toMatch(/^refused: localhost resolves to .*loopback/);
      expect(rx.connections()).toBe(0);
    } finally {
      await rx.close();
    }
  });
});
