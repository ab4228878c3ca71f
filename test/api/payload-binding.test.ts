import fc from "fast-check";
import { base64url } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAdminToken } from "../../lib/admin-tokens/admin-tokens.ts";
import { canonicalJson, canonicalSha256 } from "../../lib/crypto.ts";
import { closeHub } from "../../lib/events/hub.ts";
import { createRule, deleteRule } from "../../lib/policy/rules.ts";
import { baseUrl, expectProblem, newAgent, newUser, signIn, createPending, unique, type TestAgent } from "../support/fixtures.ts";
import { mutate, paramsArbitrary, prng, reencode } from "../support/json-encodings.ts";

// What the reviewer sees, what params_sha256 covers and what the executor must
// present are one value (API.md, contract 1.1): bodies are sent as raw text
// here, so every re-encoding reaches the server exactly as written.

const SEED = 20261202;
const RUNS = 40;

let agent: TestAgent;
let action: string;
let ruleId: string;
let adminToken: string;

beforeAll(async () => {
  agent = await newAgent();
  action = `binding.${unique("run").replace("-", "_")}`;
  // Policy is global: this rule selects only this suite's agent and action.
  ({ ruleId } = await createRule({
    definition: { name: unique("binding"), agents: { names: [agent.name] }, actions: [action], effect: "allow" },
    position: 0,
    actor: "test",
  }));
  ({ token: adminToken } = await createAdminToken({ name: unique("binding"), actor: "test" }));
});
afterAll(async () => {
  await deleteRule({ ruleId, actor: "test" });
  await closeHub();
});

function post(path: string, body: string | Uint8Array, headers: Record<string, string> = {}, method = "POST"): Promise<Response> {
  return fetch(baseUrl() + path, { method, headers: { "content-type": "application/json", ...headers }, body: body as BodyInit });
}
const asAgent = (body: string | Uint8Array) => post("/api/v1/requests", body, { authorization: `Bearer ${agent.key}` });
const createText = (paramsText: string) => `{"action":${JSON.stringify(action)},"summary":"property run","params":${paramsText}}`;
const redeemText = (token: string, paramsText: string) => `{ "params" : ${paramsText}, "token":${JSON.stringify(token)} }`;

async function expectRefused(res: Response, path: string, message: string): Promise<void> {
  const problem = await expectProblem(res, 422, "validation_failed");
  expect(problem.errors).toEqual([{ path, message }]);
}

describe("payload binding over HTTP (property)", () => {
  it("a redeem succeeds exactly when the presented params equal the approved ones under RFC 8785, however spelled", async () => {
    let redeemed = 0;
    let mismatched = 0;
    await fc.assert(
      fc.asyncProperty(paramsArbitrary, fc.integer(), fc.boolean(), async (value, seed, tamper) => {
        const rand = prng(seed);
        const created = await asAgent(createText(reencode(value, rand)));
        const body = await created.json();
        expect(created.status, JSON.stringify(body)).toBe(201);
        expect(body.status).toBe("approved");
        // The reviewer's view and the hash are of exactly what was sent.
        expect(canonicalJson(body.params)).toBe(canonicalJson(value));
        expect(body.params_sha256).toBe(canonicalSha256(value));
        const token: string = body.grant.token;

        if (tamper) {
          const other = mutate(value, rand);
          await expectProblem(await post("/api/v1/grants/redeem", redeemText(token, reencode(other, rand))), 422, "grant_mismatch");
          mismatched++;
        }
        const res = await post("/api/v1/grants/redeem", redeemText(token, reencode(value, rand)));
        const result = await res.json();
        expect(res.status, JSON.stringify(result)).toBe(200);
        expect(canonicalJson(result.params)).toBe(canonicalJson(value));
        redeemed++;
      }),
      { seed: SEED, numRuns: RUNS },
    );
    expect(redeemed).toBe(RUNS);
    expect(mismatched).toBeGreaterThan(RUNS / 4);
  });
});

describe("strict bodies on every JSON endpoint", () => {
  it("refuses duplicate names in params and at the top level, instead of letting the last one win", async () => {
    await expectRefused(await asAgent(createText('{"amount":5000,"amount":50}')), "params.amount", "duplicate member name");
    await expectRefused(await asAgent(`{"action":${JSON.stringify(action)},"summary":"a","summary":"b","params":{}}`), "summary", "duplicate member name");
  });

  it("refuses a __proto__ member at create and at redeem", async () => {
    await expectRefused(await asAgent(createText('{"amount":5,"__proto__":{"amount":5000}}')), "params.__proto__", "__proto__ is not allowed as a member name");
    const created = await (await asAgent(createText('{"amount":5}'))).json();
    await expectRefused(
      await post("/api/v1/grants/redeem", redeemText(created.grant.token, '{"amount":5,"__proto__":{"amount":5000}}')),
      "params.__proto__",
      "__proto__ is not allowed as a member name",
    );
    // The refusal did not burn the grant.
    expect((await post("/api/v1/grants/redeem", redeemText(created.grant.token, '{"amount":5}'))).status).toBe(200);
  });

  it("refuses invalid UTF-8 and lone surrogates instead of collapsing them to U+FFFD", async () => {
    const head = Buffer.from(createText('{"note":"a'));
    for (const bad of [[0xff], [0xfe], [0xc3, 0x28], [0xed, 0xa0, 0x80]]) {
      await expectRefused(await asAgent(Buffer.concat([head, Buffer.from(bad), Buffer.from('"}}')])), "(body)", "invalid UTF-8");
    }
    await expectRefused(await asAgent(createText('{"note":"\\ud800"}')), "params.note", "lone UTF-16 surrogate");
    await expectRefused(await asAgent(`{"action":${JSON.stringify(action)},"summary":"\\udc00","params":{}}`), "summary", "lone UTF-16 surrogate");
  });

  it("applies to the reviewer and admin endpoints and to policy import too", async () => {
    const admin = { authorization: `Bearer ${adminToken}` };
    const adminSession = { cookie: await signIn(await newUser("admin")), origin: baseUrl() };
    await expectRefused(await post("/api/v1/admin/agents", `{"name":"${unique("a")}","name":"${unique("b")}"}`, adminSession), "name", "duplicate member name");
    await expectRefused(
      await post("/api/v1/admin/policies/simulate", '{"rule":{"__proto__":{}}}', admin),
      "rule.__proto__",
      "__proto__ is not allowed as a member name",
    );
    const doc = `{"version":1,"rules":[{"name":"x","name":"y","actions":["a"],"effect":"deny"}]}`;
    await expectRefused(await post("/api/v1/admin/policies?dry_run=true", doc, admin, "PUT"), "rules.0.name", "duplicate member name");

    const reviewer = await newUser("reviewer");
    const cookie = await signIn(reviewer);
    const other = await newAgent();
    const { id } = await createPending(other);
    const res = await post(`/api/v1/requests/${id}/decisions`, '{"decision":"deny","reason":"no","decision":"approve"}', { cookie, origin: baseUrl() });
    await expectRefused(res, "decision", "duplicate member name");
  });
});

describe("grant headers", () => {
  const token = (header: Record<string, unknown>) =>
    `${base64url.encode(JSON.stringify(header))}.${base64url.encode('{"jti":"grt_x"}')}.${base64url.encode("sig")}`;

  it("a kid that is not a key id is an invalid grant, not a server error", async () => {
    for (const kid of [123, { a: 1 }, ["k"], true, "k\u0000x", "\ud800", ""]) {
      const res = await post("/api/v1/grants/redeem", JSON.stringify({ token: token({ alg: "EdDSA", typ: "JWT", kid }) }));
      await expectProblem(res, 401, "grant_invalid");
    }
  });
});
