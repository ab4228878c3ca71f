import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { canonicalSha256 } from "../../lib/crypto.ts";
import { db } from "../../lib/db.ts";
import { signGrant } from "../../lib/grants/grant-token.ts";
import {
  baseUrl,
  concurrently,
  createApproved,
  expectProblem,
  getRequest,
  newAgent,
  newUser,
  redeem,
  signIn,
  type TestAgent,
  type TestUser,
} from "../support/fixtures.ts";

const PARAMS = { amount: 500, currency: "USD", note: "duplicate charge" };

let agent: TestAgent;
let reviewer: TestUser;
let cookie: string;
beforeAll(async () => {
  agent = await newAgent();
  reviewer = await newUser("reviewer");
  cookie = await signIn(reviewer);
});

const approved = () => createApproved(agent, cookie, { params: PARAMS });

describe("grant tokens", () => {
  it("are signed by a key the JWKS publishes, with the documented claims", async () => {
    const r = await approved();
    const token: string = r.grant.token;

    const jwksRes = await fetch(`${baseUrl()}/.well-known/jwks.json`);
    expect(jwksRes.status).toBe(200);
    const jwks = (await jwksRes.json()) as { keys: { kid: string; kty: string; crv: string; alg: string; d?: string }[] };
    const header = decodeProtectedHeader(token);
    expect(header.alg).toBe("EdDSA");
    const published = jwks.keys.find((k) => k.kid === header.kid);
    expect(published).toMatchObject({ kty: "OKP", crv: "Ed25519" });
    expect(jwks.keys.every((k) => k.d === undefined)).toBe(true);

    const keySet = createRemoteJWKSet(new URL(`${baseUrl()}/.well-known/jwks.json`));
    const { payload } = await jwtVerify(token, keySet, { issuer: baseUrl(), audience: "countersign", algorithms: ["EdDSA"] });
    expect(payload).toMatchObject({
      iss: baseUrl(),
      sub: agent.agentId,
      aud: "countersign",
      jti: r.grant.id,
      request_id: r.id,
      action: "payments.refund",
      resource: "customer:cus_123",
      params_sha256: canonicalSha256(PARAMS),
      approved_by: [reviewer.email],
    });
    expect(payload.params_sha256).toBe(r.params_sha256);
    expect(payload.exp! - payload.iat!).toBe(300);
    expect(payload.nbf).toBe(payload.iat);
    expect(new Date(payload.exp! * 1000).toISOString()).toBe(r.grant.expires_at);
  });

  it("can be fetched again while unredeemed, and disappear once redeemed", async () => {
    const r = await approved();
    const again = await getRequest(agent, r.id);
    expect(again.grant.token).toBe(r.grant.token);
    expect(again.grant.redeemed_at).toBeNull();

    expect((await redeem({ token: r.grant.token })).status).toBe(200);
    const after = await getRequest(agent, r.id);
    expect(after.grant.token).toBeUndefined();
    expect(after.grant.id).toBe(r.grant.id);
    expect(Number.isNaN(Date.parse(after.grant.redeemed_at))).toBe(false);
  });
});

describe("POST /api/v1/grants/redeem", () => {
  it("redeems once and returns the approved parameters", async () => {
    const r = await approved();
    const res = await redeem({ token: r.grant.token, action: "payments.refund", params: { note: "duplicate charge", currency: "USD", amount: 500 } });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toEqual({
      grant_id: r.grant.id,
      request_id: r.id,
      agent_id: agent.agentId,
      action: "payments.refund",
      resource: "customer:cus_123",
      params: PARAMS,
      redeemed_at: expect.any(String),
    });
    await expectProblem(await redeem({ token: r.grant.token }), 409, "grant_already_redeemed");
  });

  it("of 50 concurrent redemptions exactly one succeeds", async () => {
    const r = await approved();
    const results = await concurrently(50, async () => {
      const res = await redeem({ token: r.grant.token });
      return { status: res.status, body: await res.json() };
    });
    expect(results.filter((x) => x.status === 200)).toHaveLength(1);
    const refused = results.filter((x) => x.status !== 200);
    expect(refused).toHaveLength(49);
    expect(refused.every((x) => x.status === 409 && x.body.code === "grant_already_redeemed")).toBe(true);
    expect(await db().selectFrom("auditEvents").select("id").where("requestId", "=", r.id).where("type", "=", "grant.redeemed").execute()).toHaveLength(1);
  });

  it("refuses a different action or different params with 422 grant_mismatch, and stays redeemable", async () => {
    const r = await approved();
    await expectProblem(await redeem({ token: r.grant.token, action: "payments.refund_all" }), 422, "grant_mismatch");
    await expectProblem(await redeem({ token: r.grant.token, params: { ...PARAMS, amount: 5000 } }), 422, "grant_mismatch");
    await expectProblem(await redeem({ token: r.grant.token, params: {} }), 422, "grant_mismatch");
    expect((await redeem({ token: r.grant.token, action: "payments.refund", params: PARAMS })).status).toBe(200);
  });

  it("refuses a tampered or garbage token with 401 grant_invalid", async () => {
    const r = await approved();
    const [h, p, s] = (r.grant.token as string).split(".");
    const flipped = s.slice(0, 10) + (s[10] === "A" ? "B" : "A") + s.slice(11);
    const claims = JSON.parse(Buffer.from(p, "base64url").toString());
    const forgedPayload = Buffer.from(JSON.stringify({ ...claims, params_sha256: canonicalSha256({ amount: 1_000_000 }) })).toString("base64url");

    for (const token of [`${h}.${p}.${flipped}`, `${h}.${forgedPayload}.${s}`, "garbage", "a.b.c", `${h}.${p}.`]) {
      await expectProblem(await redeem({ token }), 401, "grant_invalid");
    }
    // None of that used the real grant up.
    expect((await redeem({ token: r.grant.token })).status).toBe(200);
  });

  it("refuses a grant expired in the database with 410 grant_expired", async () => {
    const r = await approved();
    await db()
      .updateTable("grants")
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where("id", "=", r.grant.id)
      .execute();
    await expectProblem(await redeem({ token: r.grant.token }), 410, "grant_expired");
    expect((await getRequest(agent, r.id)).grant.token).toBeUndefined();
  });

  it("refuses a token whose exp has passed with 410 grant_expired", async () => {
    const r = await approved();
    const row = await db().selectFrom("grants").selectAll().where("id", "=", r.grant.id).executeTakeFirstOrThrow();
    const token = await signGrant({
      grantId: row.id,
      agentId: row.agentId,
      requestId: r.id,
      action: r.action,
      resource: r.resource,
      paramsSha256: r.params_sha256,
      approvedBy: row.approvedBy,
      audience: row.audience,
      issuedAt: new Date(Date.now() - 600_000),
      expiresAt: new Date(Date.now() - 300_000),
      kid: row.kid,
    });
    await expectProblem(await redeem({ token }), 410, "grant_expired");
    // The genuine token is still good.
    expect((await redeem({ token: r.grant.token })).status).toBe(200);
  });

  it("refuses a revoked grant with 410 grant_revoked", async () => {
    const r = await approved();
    await db().updateTable("grants").set({ revokedAt: new Date() }).where("id", "=", r.grant.id).execute();
    await expectProblem(await redeem({ token: r.grant.token }), 410, "grant_revoked");
    expect((await getRequest(agent, r.id)).grant.token).toBeUndefined();
  });

  it("refuses a body without a token or with unknown fields with 422", async () => {
    await expectProblem(await redeem({}), 422, "validation_failed");
    await expectProblem(await redeem({ token: "x", parms: {} }), 422, "validation_failed");
  });
});
