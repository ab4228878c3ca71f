import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { parseEnv } from "../env.ts";
import { resolveOnBehalfOf, verifyOnBehalfOfToken } from "./verify-on-behalf-of.ts";

// What is decided before any fetch; test/api/on-behalf-of.test.ts checks real tokens against a real issuer.

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
// Port 9 (discard) on loopback: a fetch there would fail, so a verdict other than "could not be reached" proves none was tried.
const config = { issuers: ["http://127.0.0.1:9"], audiences: ["client"], timeoutMs: 1000 };
const claims = { iss: "http://127.0.0.1:9", aud: "client", sub: "a", email: "alice@example.com", iat: 1, exp: 4e9 };

describe("on-behalf-of tokens refused before any fetch", () => {
  it("refuses everything when no issuer is trusted", async () => {
    expect(await verifyOnBehalfOfToken(`${b64({ alg: "RS256" })}.${b64(claims)}.x`, undefined, { ...config, issuers: [] })).toEqual({
      verified: false,
      reason: "no trusted issuer is configured",
    });
  });

  it.each([
    ["alg none", `${b64({ alg: "none" })}.${b64(claims)}.`, /algorithm/],
    ["HS256", `${b64({ alg: "HS256" })}.${b64(claims)}.${createHmac("sha256", "k").update("x").digest("base64url")}`, /algorithm/],
    ["an access token", `${b64({ alg: "RS256", typ: "at+jwt" })}.${b64(claims)}.x`, /access token/],
    ["an untrusted issuer", `${b64({ alg: "RS256" })}.${b64({ ...claims, iss: "https://evil.example" })}.x`, /untrusted issuer/],
    ["no issuer", `${b64({ alg: "RS256" })}.${b64({ ...claims, iss: undefined })}.x`, /untrusted issuer/],
    ["garbage", "abc.def.ghi", /malformed/],
  ])("%s", async (_name, token, reason) => {
    const result = await verifyOnBehalfOfToken(token, undefined, config);
    expect(result.verified).toBe(false);
    expect(result.verified === false && result.reason).toMatch(reason);
  });
});

describe("the stored context", () => {
  it("is unchanged without a token", async () => {
    const context = { on_behalf_of: "alice@example.com", task_id: "t" };
    expect(await resolveOnBehalfOf(context)).toEqual({ context, verification: null });
  });
});

describe("configuration", () => {
  it("defaults to the sign-in issuer and client, and needs an audience with an issuer of its own", () => {
    const e = parseEnv({ COUNTERSIGN_OBO_ISSUER: "https://id.example.com, https://other.example.com/", COUNTERSIGN_OBO_AUDIENCE: "a,b" });
    expect([e.COUNTERSIGN_OBO_ISSUER, e.COUNTERSIGN_OBO_AUDIENCE, e.COUNTERSIGN_OBO_FETCH_TIMEOUT_SECONDS]).toEqual([
      "https://id.example.com, https://other.example.com/",
      "a,b",
      2,
    ]);
    expect(() => parseEnv({ COUNTERSIGN_OBO_ISSUER: "https://id.example.com" })).toThrow(/COUNTERSIGN_OBO_AUDIENCE/);
    expect(() => parseEnv({ COUNTERSIGN_OBO_ISSUER: "https://id.example.com", AUTH_OIDC_CLIENT_ID: "c" })).not.toThrow();
    expect(() => parseEnv({ COUNTERSIGN_OBO_ISSUER: "not a url", COUNTERSIGN_OBO_AUDIENCE: "a" })).toThrow(/COUNTERSIGN_OBO_ISSUER/);
  });
});
