import fc from "fast-check";
import { base64url } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAdminToken } from "../../lib/admin-tokens/admin-tokens.ts";
import { closeHub } from "../../lib/events/hub.ts";
import { createRule } from "../../lib/policy/rules.ts";
import { agentFetch, baseUrl, createPending, keyIdOf, newAgent, newUser, signIn, unique, type TestAgent } from "../support/fixtures.ts";

/*
 * Fuzzes every operation of the OpenAPI document the app serves, with and
 * without valid credentials, with odd path ids, query values, headers and
 * bodies, and asserts that nothing answers 5xx and every 4xx is an RFC 9457
 * problem with a `code`. Fixed seed, bounded cases.
 *
 * Other suites share this app and database, so valid credentials only ever
 * act on objects this suite creates, and operations whose valid input
 * changes global state (policy, default, containment, SSO, retention,
 * webhooks that would receive everyone's events, bulk suspend and resume) get bodies that can never
 * be valid: broken JSON, duplicate names, `__proto__`, invalid UTF-8, the
 * wrong top-level type. Their other inputs are fuzzed like everyone else's.
 */

const SEED = 11_2026;
const CASES_PER_OPERATION = 20;
const CONCURRENCY = 6;

type Operation = {
  method: string;
  path: string;
  security: Record<string, string[]>[];
  parameters: Param[];
  body?: { mediaTypes: string[]; schema: any; example?: unknown };
};
type Param = { name: string; in: "path" | "query" | "header"; schema: any };
type Case = {
  label: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
  twice: boolean;
  beyondDocument?: boolean;
};

/** Valid input here would change what other suites rely on. */
const JUNK_BODY_ONLY = new Set([
  "PUT /api/v1/admin/policies",
  "PUT /api/v1/admin/policies/default",
  // Its example marks payments.* high, which would lift every other suite's risk scores.
  "PUT /api/v1/admin/policies/action-severity",
  "POST /api/v1/admin/policies/rules",
  "PUT /api/v1/admin/policies/rules/{id}",
  "PUT /api/v1/admin/containment",
  "PUT /api/v1/admin/access",
  "PUT /api/v1/admin/audit/retention",
  "POST /api/v1/admin/webhooks",
  "PATCH /api/v1/admin/webhooks/{id}",
  // Bulk containment: its examples name a tag other suites' agents may carry ("finance").
  "POST /api/v1/admin/agents/suspend",
  "POST /api/v1/admin/agents/resume",
]);
/** Bodiless operations that act on everyone's data (or verify all of it): called with odd inputs, never with valid credentials. */
const NO_VALID_CREDENTIALS = new Set(["POST /api/v1/admin/audit/retention/apply", "POST /api/v1/admin/audit/verify", "POST /api/v1/admin/audit/checkpoints"]);

let operations: Operation[];
let doc: any;
let agent: TestAgent;
let target: TestAgent;
let adminCookie: string;
let adminToken: string;
const ids: Record<string, string[]> = {};

const resolve = (schema: any): any => (schema?.$ref ? resolve(doc.components.schemas[schema.$ref.split("/").pop()]) : schema);

beforeAll(async () => {
  const res = await fetch(`${baseUrl()}/api/v1/openapi.json`);
  doc = await res.json();
  operations = [];
  for (const [path, item] of Object.entries<any>(doc.paths)) {
    for (const [method, op] of Object.entries<any>(item)) {
      if (!op?.responses) continue;
      const content = op.requestBody?.content as Record<string, any> | undefined;
      const media = content?.["application/json"] ?? (content && Object.values(content)[0]);
      operations.push({
        method: method.toUpperCase(),
        path,
        security: op.security ?? doc.security ?? [],
        parameters: [...(item.parameters ?? []), ...(op.parameters ?? [])],
        body: content && {
          mediaTypes: Object.keys(content),
          schema: resolve(media.schema),
          example: media.example ?? Object.values<any>(media.examples ?? {})[0]?.value ?? resolve(media.schema)?.example,
        },
      });
    }
  }

  // The suite's own objects: every valid credential acts on these only.
  const admin = await newUser("admin");
  const victim = await newUser("reviewer");
  [agent, target, adminCookie] = await Promise.all([newAgent(), newAgent(), signIn(admin)]);
  ({ token: adminToken } = await createAdminToken({ name: unique("fuzz"), actor: "test" }));
  const { ruleId } = await createRule({
    definition: { name: unique("fuzz"), agents: { names: [unique("nobody")] }, actions: ["fuzz.never"], effect: "deny" },
    position: 99,
    actor: "test",
  });
  const pending = await Promise.all([0, 1, 2, 3].map(() => createPending(agent)));
  const cancelled = await createPending(agent);
  await agentFetch(agent.key, `/api/v1/requests/${cancelled.id}/cancel`, { method: "POST" });
  ids.id = [...pending.map((p) => p.id), cancelled.id, target.agentId, victim.id, ruleId];
  ids.keyId = [keyIdOf(target.key)];
  ids.userId = [victim.id];
  ids.name = [unique("group")];
  ids.seq = ["1", "2"];
}, 120_000);
afterAll(async () => {
  await closeHub();
});

// ---------------------------------------------------------------------------
// Odd inputs.

const jwt = (header: Record<string, unknown>) =>
  `${base64url.encode(JSON.stringify(header))}.${base64url.encode('{"jti":"grt_x","sub":1}')}.${base64url.encode("sig")}`;

/** JSON values no field expects: type confusion, NUL, bidi controls, lone surrogates, huge, tiny, long, hostile strings. */
const oddValue = fc.constantFrom<unknown>(
  "\u0000",
  "a\u0000b",
  "\u202eevil\u202c",
  "\u2066x\u2069\u200b",
  "\ud800",
  "😀".repeat(3),
  "x".repeat(10_000),
  "",
  " ",
  "../../etc/passwd",
  "https://example.com/%0d%0aSet-Cookie:%20x=1",
  "http://127.0.0.1:1/",
  "javascript:alert(1)",
  "<script>alert(1)</script>",
  "' OR 1=1 --",
  "2026-02-30T25:61:00Z",
  "payments.*",
  "[[[[",
  jwt({ alg: "EdDSA", kid: 7 }),
  jwt({ alg: "EdDSA", kid: { $ne: null } }),
  jwt({ alg: "none", kid: "k\u0000" }),
  jwt({ alg: "EdDSA", kid: "k_1", crit: ["b64"], b64: false }),
  "csk_x_y",
  1e308,
  -1,
  0,
  1.5,
  2 ** 63,
  -(2 ** 63),
  true,
  null,
  [],
  {},
  [1, "a", null],
  { a: { b: { c: [] } } },
  { "\u0000": 1 },
);

/** Raw JSON tokens JSON.stringify cannot write. */
const RAW_NUMBERS = ["1e400", "-1e400", "-0", "1e-400", "123456789012345678901234567890", "0.0000000000000000000000001"];

/** Query values, already percent-encoded as they go on the wire. */
const oddQuery = fc.constantFrom(
  "%00",
  "a%00b",
  "%E0%A4%A",
  "%ZZ",
  "%",
  "%C0%80",
  "%ED%A0%80",
  "99999999999999999999999",
  "-1",
  "1e3",
  "0x10",
  "NaN",
  "Infinity",
  "",
  "true",
  "%E2%80%AE",
  "a".repeat(5000),
  "1.5",
  "[]",
  "2026-02-30T25:61:00Z",
  "req_00000000000000000000000000",
  "%F0%9F%98%80",
  "null",
);

/** Path segments, percent-encoded (no dot segments or slashes: those change the route, not the input). */
const oddSegment = fc.constantFrom(
  "%00",
  "req_%00",
  "x".repeat(300),
  "%ZZ",
  "%E0%A4%A",
  "%F0%9F%98%80",
  "req_00000000000000000000000000",
  "agt_zzzzzzzzzzzzzzzzzzzzzzzzzz",
  "-1",
  "0",
  "99999999999999999999",
  "1e3",
  "%20",
  "%E2%80%AE",
  "null",
  "__proto__",
  "constructor",
  "%C0%AF",
);

/** Header values fetch can send (no NUL, CR or LF; latin-1 bytes are fine). */
const oddHeaderValue = fc.constantFrom("\u00ff\u00fe", "x".repeat(300), " ", "a, b", "\u00e9", "null", "*/*", "1.1.1.1, not-an-ip", "::1", "%00");

// ---------------------------------------------------------------------------
// Bodies.

/** Bodies that can never be valid input anywhere. */
function junkBodies(valid: unknown): fc.Arbitrary<string | Uint8Array> {
  const base = JSON.stringify(valid && typeof valid === "object" && !Array.isArray(valid) ? valid : { a: 1 });
  const firstKey = /^\{"((?:[^"\\]|\\.)*)"/.exec(base)?.[1] ?? "a";
  return fc.oneof(
    fc.constantFrom(
      "",
      "{",
      "not json",
      "{'a':1}",
      "[1,]",
      "NaN",
      "null",
      "[]",
      "42",
      '"text"',
      "true",
      "[".repeat(70_000).slice(0, 60_000),
      '{"a":'.repeat(5_000),
      `{"__proto__":{"admin":true},${base.slice(1)}`,
      `{"\\u005f_proto__":1,${base.slice(1)}`,
      `{"${firstKey}":null,${base.slice(1)}`,
      `${base.slice(0, -1)},"${firstKey}":null}`,
      base.replace(/"$|"(?=[,}])/, '\\ud800"'),
      `{"x":"\\ud800"}`,
      `{"x":"a\tb"}`,
      "x".repeat(70_000),
    ),
    fc.constantFrom([0xff, 0xfe], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xe2, 0x82]).map((bad) => {
      const text = Buffer.from(base);
      const quote = text.indexOf(0x22, 1) + 1 || 1;
      return new Uint8Array(Buffer.concat([text.subarray(0, quote), Buffer.from(bad), text.subarray(quote)]));
    }),
  );
}

/** A plausible value for a schema (its example, or one made from its type), to mutate. */
function plausible(schema: any, depth = 0): unknown {
  schema = resolve(schema);
  if (!schema || depth > 4) return null;
  if (schema.example !== undefined) return schema.example;
  if (schema.enum) return schema.enum[0];
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  if (schema.anyOf || schema.oneOf) return plausible((schema.anyOf ?? schema.oneOf)[0], depth + 1);
  switch (type) {
    case "object":
      return Object.fromEntries(Object.entries<any>(schema.properties ?? {}).map(([k, v]) => [k, plausible(v, depth + 1)]));
    case "array":
      return [plausible(schema.items, depth + 1)];
    case "integer":
    case "number":
      return schema.minimum ?? 1;
    case "boolean":
      return true;
    case "string":
      return "fuzz";
    default:
      return null;
  }
}

/** Examples name objects other suites may create too ("billing-agent", "bob@example.com"): this suite creates its own. */
function ownNames(example: unknown): unknown {
  if (!example || typeof example !== "object" || Array.isArray(example)) return example;
  const out: Record<string, unknown> = { ...(example as Record<string, unknown>) };
  if (typeof out.name === "string") out.name = unique("fuzz");
  if (typeof out.email === "string") out.email = `${unique("fuzz")}@example.test`;
  return out;
}

/** The example (or a plausible body) with one member replaced, removed, added or nested oddly; sometimes spelled with raw number tokens. */
function schemaBodies(op: Operation): fc.Arbitrary<string | Uint8Array> {
  const example = ownNames(op.body!.example !== undefined && typeof op.body!.example !== "string" ? op.body!.example : plausible(op.body!.schema));
  const keys = example && typeof example === "object" && !Array.isArray(example) ? Object.keys(example) : [];
  const MARK = "\u0001RAW\u0001";
  const mutated = fc
    .record({
      key: keys.length ? fc.constantFrom(...keys, "unknown_field") : fc.constant("unknown_field"),
      how: fc.nat(3),
      value: oddValue,
      raw: fc.constantFrom(...RAW_NUMBERS),
      depth: fc.nat(2),
    })
    .map(({ key, how, value, raw, depth }) => {
      const body: Record<string, unknown> = keys.length ? structuredClone(example as Record<string, unknown>) : {};
      if (how === 0) delete body[key];
      else if (how === 1) body[key] = MARK;
      else {
        let v = value;
        for (let i = 0; i < depth; i++) v = { [key]: v };
        body[key] = v;
      }
      return JSON.stringify(body).replace(`"${MARK}"`, raw);
    });
  return op.body!.example !== undefined || keys.length ? fc.oneof(mutated, mutated, fc.constant(JSON.stringify(example))) : mutated;
}

// ---------------------------------------------------------------------------
// Cases.

type Auth = "none" | "valid" | "wrong" | "junk";

function credentials(op: Operation, auth: Auth, junk: string): Record<string, string> {
  const schemes = op.security.flatMap((s) => Object.keys(s));
  const key = `${op.method} ${op.path}`;
  if (auth === "valid" && !NO_VALID_CREDENTIALS.has(key)) {
    if (schemes.includes("agentKey")) return { authorization: `Bearer ${agent.key}` };
    if (schemes.includes("adminToken") && junk.length % 2 === 0) return { authorization: `Bearer ${adminToken}` };
    if (schemes.includes("session")) return { cookie: adminCookie, origin: baseUrl() };
    return {};
  }
  if (auth === "wrong") return schemes.includes("agentKey") ? { cookie: adminCookie, origin: baseUrl() } : { authorization: `Bearer ${agent.key}` };
  if (auth === "junk")
    return {
      authorization: `Bearer ${junk}`,
      cookie: `authjs.session-token=${junk}`,
      origin: junk.length % 2 ? "https://evil.example" : "null",
    };
  return {};
}

function caseFor(op: Operation): fc.Arbitrary<Case> {
  const key = `${op.method} ${op.path}`;
  const pathParams = op.path.match(/\{(\w+)\}/g)?.map((p) => p.slice(1, -1)) ?? [];
  const queryParams = op.parameters.filter((p) => p.in === "query");
  const segment = (name: string) => (ids[name]?.length ? fc.oneof(oddSegment, fc.constantFrom(...ids[name])) : oddSegment);
  const body = !op.body
    ? fc.constant(undefined)
    : JUNK_BODY_ONLY.has(key)
      ? junkBodies(plausible(op.body.schema))
      : fc.oneof(schemaBodies(op), junkBodies(plausible(op.body.schema)));
  return fc
    .record({
      auth: fc.constantFrom<Auth>("valid", "valid", "valid", "none", "wrong", "junk"),
      junk: fc.constantFrom("csk_x_y", "csa_x_y", "\u00ff", "x".repeat(3000), "", "eyJ.e30.x"),
      segments: fc.tuple(...pathParams.map(segment)),
      query: fc.array(fc.tuple(queryParams.length ? fc.constantFrom(...queryParams.map((p) => p.name), "unknown") : fc.constant("unknown"), oddQuery), {
        maxLength: 3,
      }),
      headers: fc.dictionary(
        fc.constantFrom("content-type", "accept", "idempotency-key", "x-forwarded-for", "if-none-match", "last-event-id"),
        oddHeaderValue,
        { maxKeys: 2 },
      ),
      contentType: fc.constantFrom(
        "application/json",
        "application/json",
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/json; charset=latin1",
        "application/yaml",
      ),
      body,
      twice: fc.boolean().map((b) => b && op.method !== "GET"),
    })
    .map(({ auth, junk, segments, query, headers, contentType, body, twice }) => {
      let path = op.path;
      for (const [i, name] of pathParams.entries()) path = path.replace(`{${name}}`, segments[i]);
      // PUT /admin/policies answers a dry run only, whatever the fuzz does to the other inputs.
      if (key === "PUT /api/v1/admin/policies") query = [...query.filter(([name]) => name !== "dry_run"), ["dry_run", "true"]];
      const qs = query.map(([k, v]) => `${k}=${v}`).join("&");
      const h: Record<string, string> = { ...headers, ...credentials(op, auth, junk) };
      if (body !== undefined) h["content-type"] = contentType;
      return { label: `${auth} ${key}`, method: op.method, url: `${baseUrl()}${path}${qs ? `?${qs}` : ""}`, headers: h, body, twice };
    });
}

/** Sign-in is not an API operation, but its callbackUrl is agent- and attacker-reachable input too. */
function beyondDocument(): Case[] {
  const urls = ["%0d%0aSet-Cookie:%20x=1", "https://evil.example/", "//evil.example", "%00", "javascript:alert(1)", "/%0d%0a", "https:%2F%2Fevil.example"];
  return urls.flatMap((u): Case[] => [
    { label: "GET /signin", method: "GET", url: `${baseUrl()}/signin?callbackUrl=${u}`, headers: {}, twice: false, beyondDocument: true },
    {
      label: "GET /api/auth/signin",
      method: "GET",
      url: `${baseUrl()}/api/auth/signin?callbackUrl=${u}`,
      headers: { cookie: `authjs.callback-url=${u}` },
      twice: false,
      beyondDocument: true,
    },
    {
      label: "POST /api/auth/callback/credentials",
      method: "POST",
      url: `${baseUrl()}/api/auth/callback/credentials?callbackUrl=${u}`,
      headers: { "content-type": "application/x-www-form-urlencoded", origin: baseUrl(), cookie: `authjs.callback-url=${u}` },
      body: `email=nobody%40example.test&password=x&callbackUrl=${u}`,
      twice: false,
      beyondDocument: true,
    },
  ]);
}

interface Failure {
  label: string;
  request: string;
  status: number;
  detail: string;
}

async function run(c: Case): Promise<Failure | null> {
  const describeCase = () =>
    `${c.method} ${c.url.slice(baseUrl().length, 300)} headers=${JSON.stringify(c.headers).slice(0, 300)} body=${typeof c.body === "string" ? JSON.stringify(c.body.slice(0, 200)) : c.body ? `<${c.body.byteLength} bytes>` : "none"}`;
  const send = async (): Promise<Failure | null> => {
    let res: Response;
    try {
      res = await fetch(c.url, {
        method: c.method,
        headers: c.headers,
        body: c.body as BodyInit | undefined,
        redirect: "manual",
        signal: AbortSignal.timeout(30_000),
      });
    } catch (err) {
      return { label: c.label, request: describeCase(), status: 0, detail: `no answer: ${(err as Error).message}` };
    }
    if (res.status >= 500) return { label: c.label, request: describeCase(), status: res.status, detail: (await res.text()).slice(0, 300) };
    if (res.status >= 400 && !c.beyondDocument) {
      const type = res.headers.get("content-type") ?? "";
      const text = await res.text();
      let code: unknown;
      try {
        code = (JSON.parse(text) as { code?: unknown }).code;
      } catch {
        code = undefined;
      }
      if (!type.startsWith("application/problem+json") || typeof code !== "string")
        return { label: c.label, request: describeCase(), status: res.status, detail: `not a problem: ${type} ${text.slice(0, 200)}` };
      return null;
    }
    // Success and redirects: the status is the answer; streams (SSE, audit export) are not read to the end.
    await res.body?.cancel();
    return null;
  };
  const results = await Promise.all(c.twice ? [send(), send()] : [send()]);
  return results.find((r) => r !== null) ?? null;
}

async function runAll(cases: Case[], name: string): Promise<void> {
  const requests = cases.reduce((n, c) => n + (c.twice ? 2 : 1), 0);
  const failures: Failure[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < cases.length) {
        const failure = await run(cases[next++]);
        if (failure) failures.push(failure);
      }
    }),
  );
  console.log(`fuzz (${name}): ${cases.length} cases, ${requests} requests, ${failures.length} failures`);
  expect(failures, failures.map((f) => `${f.status} ${f.label}\n  ${f.request}\n  ${f.detail}`).join("\n")).toEqual([]);
}

describe("fuzzing every operation of the OpenAPI document", () => {
  it("never answers 5xx, and every 4xx is a problem with a code", async () => {
    expect(operations.length).toBeGreaterThan(60);
    await runAll(
      operations.flatMap((op, i) => fc.sample(caseFor(op), { seed: SEED + i, numRuns: CASES_PER_OPERATION })),
      `${operations.length} operations`,
    );
  }, 240_000);

  it("sign-in never answers 5xx to an odd callbackUrl", async () => {
    await runAll(beyondDocument(), "sign-in");
  });

  it("answers malformed escapes, NUL and repeated names in URLs with a problem naming where", async () => {
    const session = { cookie: adminCookie, origin: baseUrl() };
    const agentKey = { authorization: `Bearer ${agent.key}` };
    // An address that does not decode names nothing (404, as any malformed id); a query value that does not is invalid (422).
    const cases: [string, Record<string, string>, number, string, string][] = [
      ["/api/v1/admin/agents/%ZZ", session, 404, "(path)", "malformed percent-encoding or invalid UTF-8"],
      ["/api/v1/admin/users/%C0%AF", session, 404, "(path)", "malformed percent-encoding or invalid UTF-8"],
      ["/api/v1/admin/webhooks/req_%00", session, 404, "(path)", "contains a NUL character"],
      ["/api/v1/admin/deliveries/%00/retry", session, 404, "(path)", "contains a NUL character"],
      ["/api/v1/requests/req_%00", agentKey, 404, "(path)", "contains a NUL character"],
      ["/api/v1/requests?cursor=%00", agentKey, 422, "query.cursor", "contains a NUL character"],
      ["/api/v1/review/requests?action=a%00b", session, 422, "query.action", "contains a NUL character"],
      ["/api/v1/admin/audit/events?actor=%E0%A4%A", session, 422, "query.actor", "malformed percent-encoding or invalid UTF-8"],
      ["/api/v1/requests?status=pending&status=approved", agentKey, 422, "query.status", "repeated query parameter"],
    ];
    for (const [path, headers, status, where, message] of cases) {
      const res = await fetch(baseUrl() + path, { headers });
      expect(res.status, path).toBe(status);
      expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
      expect((await res.json()) as unknown, path).toMatchObject({
        code: status === 404 ? "not_found" : "validation_failed",
        errors: [{ path: where, message }],
      });
    }
  });

  it("identical creates sent at the same moment: one is created, the others are a conflict, never a 500", async () => {
    const session = { cookie: adminCookie, origin: baseUrl(), "content-type": "application/json" };
    for (const [path, body] of [
      ["/api/v1/admin/users", { email: `${unique("race")}@example.test`, role: "reviewer" }],
      ["/api/v1/admin/groups", { name: unique("race") }],
    ] as const) {
      const statuses = await Promise.all(
        Array.from({ length: 6 }, () => fetch(baseUrl() + path, { method: "POST", headers: session, body: JSON.stringify(body) }).then((r) => r.status)),
      );
      expect(statuses.sort(), path).toEqual([201, 409, 409, 409, 409, 409]);
    }
  });
});
