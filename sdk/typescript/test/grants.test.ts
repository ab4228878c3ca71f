import { CountersignError, CountersignNetworkError, redeemGrant, verifyGrant, type ApprovalResult } from "@countersign/sdk";
import { afterAll, describe, expect, it } from "vitest";
import { canonicalSha256 } from "../../../lib/crypto.ts";
import { closeHub } from "../../../lib/events/hub.ts";
import { freePort } from "../../../test/support/test-server.ts";
import { baseUrl, newAgent, type TestAgent } from "../../../test/support/fixtures.ts";
import { clientFor, lostResponse, problemResponse, QUICK_RETRY, ruleFor, uniqueAction, wrapFetch } from "./helpers.ts";

afterAll(async () => {
  await closeHub();
});

const PARAMS = { amount: 250, currency: "EUR", lines: [{ sku: "a", qty: 2 }] };

/** An approved request (an allow rule for a unique action) with its live grant. */
async function approved(
  agent?: TestAgent,
): Promise<{ agent: TestAgent; action: string; token: string; result: Extract<ApprovalResult, { status: "approved" }> }> {
  agent ??= await newAgent();
  const action = uniqueAction("grants");
  await ruleFor(agent, action, "allow");
  const result = await clientFor(agent).requestApproval({ action, summary: "grant test", resource: "thing:1", params: PARAMS });
  if (result.status !== "approved" || !result.grant.token) throw new Error(`expected a live grant, got ${result.status}`);
  return { agent, action, token: result.grant.token, result };
}

describe("redeemGrant", () => {
  it("redeems once with the approved action and params; the second time is grant_already_redeemed", async () => {
    const { action, token, result } = await approved();
    const redemption = await redeemGrant(token, { action, params: PARAMS }, { url: baseUrl() });
    expect(redemption).toMatchObject({
      grant_id: result.grant.id,
      request_id: result.request.id,
      action,
      resource: "thing:1",
      params: PARAMS,
      redeemed_at: expect.any(String),
    });

    const again = (await redeemGrant(token, {}, { url: baseUrl() }).catch((e: unknown) => e)) as CountersignError;
    expect(again).toBeInstanceOf(CountersignError);
    expect(again).toMatchObject({ status: 409, code: "grant_already_redeemed" });
  });

  it("refuses other action or params with grant_mismatch, leaving the grant usable", async () => {
    const { agent, action, token } = await approved();
    const client = clientFor(agent);
    await expect(client.redeemGrant(token, { action, params: { ...PARAMS, amount: 9999 } })).rejects.toMatchObject({ status: 422, code: "grant_mismatch" });
    await expect(client.redeemGrant(token, { action: `${action}.other` })).rejects.toMatchObject({ code: "grant_mismatch" });
    await expect(client.redeemGrant(token, { action, params: PARAMS })).resolves.toMatchObject({ action });
  });

  it("refuses a garbage token with grant_invalid", async () => {
    await expect(redeemGrant("not.a.jwt", {}, { url: baseUrl() })).rejects.toMatchObject({ status: 401, code: "grant_invalid" });
  });

  it("is not retried once the call may have reached the gateway: a lost answer is an error, and the grant was spent", async () => {
    const { token } = await approved();
    const { fetch, calls } = wrapFetch(async ({ real }) => {
      await real();
      throw lostResponse();
    });
    const error = await redeemGrant(token, {}, { url: baseUrl(), fetch }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CountersignNetworkError);
    expect(calls).toHaveLength(1);
    await expect(redeemGrant(token, {}, { url: baseUrl() })).rejects.toMatchObject({ code: "grant_already_redeemed" });
  });

  it("is not retried after a 502 (the gateway behind the proxy may have redeemed)", async () => {
    const { agent, token } = await approved();
    const { fetch, calls } = wrapFetch(async () => new Response("Bad Gateway", { status: 502 }));
    await expect(clientFor(agent, { fetch, retry: QUICK_RETRY }).redeemGrant(token)).rejects.toMatchObject({ status: 502 });
    expect(calls).toHaveLength(1);
  });

  it("is retried when nothing was sent (connection refused) and on 503 unavailable, then redeems once", async () => {
    const { agent, token } = await approved();
    const port = await freePort();
    const { fetch, calls } = wrapFetch(async ({ n, url, init, real }) => {
      if (n === 1) return globalThis.fetch(url.replace(new URL(url).origin, `http://127.0.0.1:${port}`), init);
      if (n === 2) return problemResponse(503, "unavailable", { "retry-after": "0" });
      return real();
    });
    await expect(clientFor(agent, { fetch, retry: QUICK_RETRY }).redeemGrant(token)).resolves.toMatchObject({ grant_id: expect.stringMatching(/^grt_/) });
    expect(calls).toHaveLength(3);
  });
});

describe("verifyGrant", () => {
  const jwksUrl = () => `${baseUrl()}/.well-known/jwks.json`;

  it("checks the signature against the gateway's JWKS and returns the claims", async () => {
    const { agent, action, token, result } = await approved();
    const claims = await verifyGrant(token, { jwksUrl: jwksUrl() });
    expect(claims).toMatchObject({
      iss: baseUrl(),
      sub: agent.agentId,
      aud: "countersign",
      jti: result.grant.id,
      request_id: result.request.id,
      action,
      resource: "thing:1",
      params_sha256: canonicalSha256(PARAMS),
    });
    expect(claims.params_sha256).toBe(result.request.params_sha256);
    expect(claims.approved_by).toEqual([expect.stringMatching(/^policy:pol_/)]);
    expect(claims.exp).toBeGreaterThan(claims.iat);
  });

  it("rejects a tampered token, a foreign issuer and another audience with grant_invalid", async () => {
    const { token } = await approved();
    const [header, payload, signature] = token.split(".");
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString());
    const forged = [header, Buffer.from(JSON.stringify({ ...claims, params_sha256: "0".repeat(64) })).toString("base64url"), signature].join(".");
    const error = (await verifyGrant(forged, { jwksUrl: jwksUrl() }).catch((e: unknown) => e)) as CountersignError;
    expect(error).toBeInstanceOf(CountersignError);
    expect(error).toMatchObject({ status: 401, code: "grant_invalid" });

    await expect(verifyGrant(token, { jwksUrl: jwksUrl(), issuer: "https://elsewhere.example" })).rejects.toMatchObject({ code: "grant_invalid" });
    await expect(verifyGrant(token, { jwksUrl: jwksUrl(), audience: "payments-service" })).rejects.toMatchObject({ code: "grant_invalid" });
    // Still the real thing.
    await expect(verifyGrant(token, { jwksUrl: jwksUrl() })).resolves.toMatchObject({ jti: claims.jti });
  });

  it("accepts the audience a rule sets when told to", async () => {
    const agent = await newAgent();
    const action = uniqueAction("grants");
    await ruleFor(agent, action, "allow", { audience: "payments-service" });
    const result = await clientFor(agent).requestApproval({ action, summary: "audience test" });
    if (result.status !== "approved" || !result.grant.token) throw new Error("expected a grant");
    await expect(verifyGrant(result.grant.token, { jwksUrl: jwksUrl() })).rejects.toMatchObject({ code: "grant_invalid" });
    await expect(verifyGrant(result.grant.token, { jwksUrl: jwksUrl(), audience: "payments-service" })).resolves.toMatchObject({ aud: "payments-service" });
  });

  it("says the key set is unreachable with a network error, and wants an issuer it cannot derive", async () => {
    const { token } = await approved();
    const port = await freePort();
    await expect(verifyGrant(token, { jwksUrl: `http://127.0.0.1:${port}/.well-known/jwks.json` })).rejects.toBeInstanceOf(CountersignNetworkError);
    await expect(verifyGrant(token, { jwksUrl: `${baseUrl()}/keys.json` })).rejects.toThrow(/issuer/);
  });
});
