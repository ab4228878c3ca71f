import { createHmac, generateKeyPairSync, randomBytes } from "node:crypto";
import { createServer, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { awaitSealed } from "../../lib/audit/sealer.ts";
import { db } from "../../lib/db.ts";
import { createRule } from "../../lib/policy/rules.ts";
import { newAgent, newUser, sampleRequest, type TestAgent, unique } from "../support/fixtures.ts";
import { startTestIssuer, type TestIssuer } from "../support/oidc-provider.ts";
import { passwordSignIn } from "../support/password-sign-in.ts";
import { startTestApp, type TestApp } from "../support/test-server.ts";

// Verified on-behalf-of: an app trusting a real OpenID provider (oidc-provider,
// serving its discovery document and JWKS) and an issuer that never answers.

let issuer: TestIssuer;
let app: TestApp;
let blackHole: Server;
let blackHoleUrl: string;
const heldSockets: Socket[] = [];
let agent: TestAgent;
let reviewerCookie: string;
let gatedAction: string;

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");

beforeAll(async () => {
  issuer = await startTestIssuer({ clientId: unique("agent-app"), clientSecret: randomBytes(24).toString("base64url"), accounts: [] });
  issuer.registerClient(["http://127.0.0.1/unused"]);
  // Accepts connections and never answers: an issuer that is down the slow way.
  blackHole = createServer((socket) => {
    heldSockets.push(socket);
  });
  await new Promise<void>((resolve) => blackHole.listen(0, "127.0.0.1", resolve));
  blackHoleUrl = `http://127.0.0.1:${(blackHole.address() as AddressInfo).port}`;
  app = await startTestApp(inject("databaseUrl"), {
    COUNTERSIGN_OBO_ISSUER: `${issuer.issuer}, ${blackHoleUrl}`,
    COUNTERSIGN_OBO_AUDIENCE: `other-client,${issuer.clientId}`,
    COUNTERSIGN_OBO_FETCH_TIMEOUT_SECONDS: "1",
  });
  agent = await newAgent();
  gatedAction = `obo.${randomBytes(3).toString("hex")}`;
  // Allowed only for a verified person; otherwise the default (require approval) applies.
  await createRule({
    definition: {
      name: unique("verified-only"),
      agents: { names: [agent.name] },
      actions: [gatedAction],
      condition: "context.on_behalf_of_verified",
      effect: "allow",
    },
    position: 0,
    actor: "test",
  });
  const reviewer = await newUser("reviewer");
  const cookie = await passwordSignIn(app.url, reviewer);
  if (!cookie) throw new Error("reviewer sign-in failed");
  reviewerCookie = cookie;
}, 180_000);

afterAll(async () => {
  for (const s of heldSockets) s.destroy();
  await Promise.allSettled([app?.stop(), issuer?.stop(), new Promise((r) => blackHole?.close(r))]);
});

function create(context: Record<string, unknown>, overrides: Record<string, unknown> = {}) {
  return fetch(`${app.url}/api/v1/requests`, {
    method: "POST",
    headers: { authorization: `Bearer ${agent.key}`, "content-type": "application/json" },
    body: JSON.stringify(sampleRequest({ context, ...overrides })),
  });
}

async function created(context: Record<string, unknown>, overrides: Record<string, unknown> = {}) {
  const res = await create(context, overrides);
  const text = await res.text();
  expect(res.status, text).toBe(201);
  return JSON.parse(text);
}

const alice = () => issuer.mintIdToken({ sub: "user-alice", email: "alice@example.com", email_verified: true });

describe("a valid ID token", () => {
  it("verifies the person, replaces the token by who was verified, and shows it to reviewers", async () => {
    const token = await alice();
    const body = await created({ on_behalf_of: "Alice@Example.com", on_behalf_of_token: token });
    expect(body.context).toEqual({
      on_behalf_of: "Alice@Example.com",
      on_behalf_of_verified: true,
      on_behalf_of_subject: { email: "alice@example.com", sub: "user-alice", iss: issuer.issuer },
    });
    const review = await fetch(`${app.url}/api/v1/review/requests/${body.id}`, { headers: { cookie: reviewerCookie } });
    expect(review.status).toBe(200);
    const item = await review.json();
    expect(item.context.on_behalf_of_verified).toBe(true);
    expect(item.context.on_behalf_of_subject.email).toBe("alice@example.com");
    expect(JSON.stringify(item)).not.toContain(token);
  });

  it("states on_behalf_of when the agent did not", async () => {
    const body = await created({ on_behalf_of_token: await alice() });
    expect(body.context.on_behalf_of).toBe("alice@example.com");
    expect(body.context.on_behalf_of_verified).toBe(true);
  });

  it("never stores or audits the raw token", async () => {
    const token = await alice();
    const body = await created({ on_behalf_of: "alice@example.com", on_behalf_of_token: token, task_id: "t-1" });
    await awaitSealed();
    const signature = token.split(".")[2];
    const rows = await sql<{ n: number }>`
      SELECT (SELECT count(*) FROM action_requests r WHERE r.id = ${body.id} AND strpos(row_to_json(r)::text, ${signature}) > 0)::int
           + (SELECT count(*) FROM audit_events e WHERE strpos(row_to_json(e)::text, ${signature}) > 0)::int AS n`.execute(db());
    expect(rows.rows[0].n).toBe(0);
    const event = await db()
      .selectFrom("auditEvents")
      .select("data")
      .where("requestId", "=", body.id)
      .where("type", "=", "request.created")
      .executeTakeFirstOrThrow();
    expect(event.data).toMatchObject({
      on_behalf_of: "alice@example.com",
      on_behalf_of_verified: true,
      on_behalf_of_subject: { email: "alice@example.com", sub: "user-alice", iss: issuer.issuer },
    });
    const stored = await db().selectFrom("actionRequests").select("context").where("id", "=", body.id).executeTakeFirstOrThrow();
    expect(stored.context).not.toHaveProperty("on_behalf_of_token");
  });
});

describe("a retry with the same idempotency key", () => {
  it("returns the original request (verified once, the token still not stored)", async () => {
    const token = await alice();
    const key = unique("obo-retry");
    const first = await create({ on_behalf_of_token: token }, { idempotency_key: key });
    expect(first.status).toBe(201);
    const original = await first.json();
    const again = await create({ on_behalf_of_token: token }, { idempotency_key: key });
    expect(again.status).toBe(200);
    const replayed = await again.json();
    expect(replayed.id).toBe(original.id);
    expect(replayed.context).toEqual(original.context);
    expect(JSON.stringify(replayed)).not.toContain(token);
  });
});

describe("a token that does not verify is unverified (the request is still created)", () => {
  const now = () => Math.floor(Date.now() / 1000);
  const cases: [string, () => Promise<string>, RegExp][] = [
    ["expired", () => issuer.mintIdToken({ sub: "a", email: "alice@example.com", iat: now() - 900, exp: now() - 120 }), /expired/],
    ["not yet valid", () => issuer.mintIdToken({ sub: "a", email: "alice@example.com", nbf: now() + 600 }), /not valid yet/],
    ["for another audience", () => issuer.mintIdToken({ sub: "a", email: "alice@example.com", aud: "someone-else" }), /another audience/],
    ["from an untrusted issuer", () => issuer.mintIdToken({ sub: "a", email: "alice@example.com", iss: "http://127.0.0.1:9" }), /untrusted issuer/],
    [
      "signed by another key",
      () => issuer.mintIdToken({ sub: "a", email: "alice@example.com" }, { key: generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey }),
      /signature/,
    ],
    [
      "unsigned (alg none)",
      async () =>
        `${b64({ alg: "none", typ: "JWT" })}.${b64({ iss: issuer.issuer, aud: issuer.clientId, sub: "a", email: "alice@example.com", exp: now() + 600, iat: now() })}.`,
      /algorithm/,
    ],
    [
      "HMAC-signed (HS256)",
      async () => {
        const input = `${b64({ alg: "HS256", typ: "JWT" })}.${b64({ iss: issuer.issuer, aud: issuer.clientId, sub: "a", email: "alice@example.com", exp: now() + 600, iat: now() })}`;
        return `${input}.${createHmac("sha256", "secret").update(input).digest("base64url")}`;
      },
      /algorithm/,
    ],
    ["malformed", async () => "abc.def.ghi", /malformed/],
    ["without an email", () => issuer.mintIdToken({ sub: "a" }), /no email/],
    ["with an email the issuer has not verified", () => issuer.mintIdToken({ sub: "a", email: "alice@example.com", email_verified: false }), /not verified/],
    [
      "for someone else than the stated on_behalf_of",
      () => issuer.mintIdToken({ sub: "m", email: "mallory@example.com" }),
      /for mallory@example\.com, not the person the agent names/,
    ],
  ];
  for (const [name, token, reason] of cases) {
    it(name, async () => {
      const raw = await token();
      const body = await created({ on_behalf_of: "alice@example.com", on_behalf_of_token: raw });
      expect(body.context.on_behalf_of_verified).toBe(false);
      expect(body.context.on_behalf_of_unverified_reason).toMatch(reason);
      expect(body.context).not.toHaveProperty("on_behalf_of_subject");
      expect(body.context).not.toHaveProperty("on_behalf_of_token");
      expect(JSON.stringify(body)).not.toContain(raw);
    });
  }
});

describe("input checks", () => {
  it.each([
    ["a number", 42],
    ["an object", { token: "a.b.c" }],
    ["not a compact JWT", "not-a-token"],
    ["oversized (over 8 KiB)", `${"a".repeat(4000)}.${"b".repeat(4000)}.${"c".repeat(200)}`],
  ])("refuses a token that is %s with 422", async (_name, value) => {
    const res = await create({ on_behalf_of_token: value });
    expect(res.status).toBe(422);
    const problem = await res.json();
    expect(problem.code).toBe("validation_failed");
    expect(JSON.stringify(problem.errors)).toContain("on_behalf_of_token");
  });

  it("refuses verification results stated by the agent itself", async () => {
    const res = await create({ on_behalf_of: "alice@example.com", on_behalf_of_verified: true });
    expect(res.status).toBe(422);
  });
});

describe("rules", () => {
  it("can require a verified person: context.on_behalf_of_verified", async () => {
    const allowed = await created({ on_behalf_of: "alice@example.com", on_behalf_of_token: await alice() }, { action: gatedAction });
    expect(allowed.status).toBe("approved");
    const stated = await created({ on_behalf_of: "alice@example.com" }, { action: gatedAction });
    expect(stated.status).toBe("pending");
    const forged = await created(
      { on_behalf_of: "alice@example.com", on_behalf_of_token: await issuer.mintIdToken({ sub: "a", email: "alice@example.com", aud: "x" }) },
      { action: gatedAction },
    );
    expect(forged.status).toBe("pending");
    // Without a token the variable is false, not an error: no condition error is recorded.
    const row = await db().selectFrom("actionRequests").select("conditionErrors").where("id", "=", stated.id).executeTakeFirstOrThrow();
    expect(row.conditionErrors).toBeNull();
  });
});

describe("an issuer that is down", () => {
  it("makes the token unverified within the fetch timeout, then at once while it stays down", async () => {
    const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const { SignJWT } = await import("jose");
    const token = await new SignJWT({ email: "alice@example.com" })
      .setProtectedHeader({ alg: "ES256", kid: "k" })
      .setIssuer(blackHoleUrl)
      .setAudience(issuer.clientId)
      .setSubject("a")
      .setIssuedAt()
      .setExpirationTime("10m")
      .sign(privateKey);
    let started = Date.now();
    const first = await created({ on_behalf_of_token: token }, { action: gatedAction });
    const firstMs = Date.now() - started;
    expect(first.context).toMatchObject({ on_behalf_of_verified: false, on_behalf_of_unverified_reason: "the issuer could not be reached" });
    expect(first.status).toBe("pending");
    // It waited for the 1 s fetch timeout, and not much more.
    expect(firstMs).toBeGreaterThanOrEqual(900);
    expect(firstMs).toBeLessThan(4000);
    const connections = heldSockets.length;
    expect(connections).toBeGreaterThan(0);
    // While it is down, the issuer is not asked again: the next request neither connects nor waits.
    started = Date.now();
    const second = await created({ on_behalf_of_token: token }, { action: gatedAction });
    expect(second.context.on_behalf_of_unverified_reason).toBe("the issuer could not be reached");
    expect(Date.now() - started).toBeLessThan(firstMs);
    expect(heldSockets.length).toBe(connections);
  });
});
