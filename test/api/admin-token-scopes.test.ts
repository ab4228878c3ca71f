import { sql } from "kysely";
import { beforeAll, describe, expect, it } from "vitest";
import { createAdminToken, revokeAdminToken } from "../../lib/admin-tokens/admin-tokens.ts";
import { ADMIN_SCOPES, type AdminScope, scopeAllows } from "../../lib/admin-tokens/scopes.ts";
import { awaitSealed } from "../../lib/audit/sealer.ts";
import { db } from "../../lib/db.ts";
import type { AppError } from "../../lib/errors.ts";
import { authenticateCaller } from "../../lib/http/callers.ts";
import { ROUTES } from "../../lib/routes/index.ts";
import { baseUrl, expectProblem, newUser, reviewerFetch, signIn, unique } from "../support/fixtures.ts";

/*
 * Scoped admin API tokens (API 1.1): every operation under /api/v1/admin/
 * states one scope, a token holding it (or its `:write`, or `admin`) gets
 * past the gate, and every other token is refused with 403
 * `insufficient_scope` naming it. Driven by the route table and the OpenAPI
 * document the app serves, so a new admin route is covered without editing
 * this file.
 *
 * Inputs are harmless: path ids name nothing, and every operation that takes
 * a body gets broken JSON, which only the body parser (after the gate) can
 * refuse, with 422. Nothing a right-scoped call does here changes what other
 * suites rely on.
 */

const ADMIN_PREFIX = "/api/v1/admin/";
/** Bodiless operations that act on (or read) everyone's audit log; fuzz.test.ts never calls them with valid credentials either. Their gate is checked in-process below. */
const ACTS_ON_EVERYONE = new Set(["POST /api/v1/admin/audit/retention/apply", "POST /api/v1/admin/audit/verify", "POST /api/v1/admin/audit/checkpoints"]);
const BROKEN_JSON = '{"scopes-test": ';

type Operation = { method: string; path: string; scope: AdminScope; hasBody: boolean; description: string; security: Record<string, string[]>[] };

let operations: Operation[];
const tokens = {} as Record<AdminScope, { id: string; token: string }>;

const concrete = (template: string) => template.replace(/\{\w+\}/g, "no-such-thing");

function call(op: Pick<Operation, "method" | "path" | "hasBody">, token: string): Promise<Response> {
  return fetch(baseUrl() + concrete(op.path), {
    method: op.method,
    headers: { authorization: `Bearer ${token}`, ...(op.hasBody ? { "content-type": "application/json" } : {}) },
    body: op.hasBody ? BROKEN_JSON : undefined,
    signal: AbortSignal.timeout(15_000),
  });
}

const label = (op: Operation) => `${op.method} ${op.path} (${op.scope})`;

beforeAll(async () => {
  const doc = await (await fetch(`${baseUrl()}/api/v1/openapi.json`)).json();
  operations = [];
  for (const [path, item] of Object.entries<any>(doc.paths)) {
    if (!path.startsWith(ADMIN_PREFIX)) continue;
    for (const [method, op] of Object.entries<any>(item)) {
      if (!op?.responses) continue;
      const tokenScopes: string[] = (op.security ?? []).find((s: Record<string, string[]>) => "adminToken" in s)?.adminToken ?? [];
      operations.push({
        method: method.toUpperCase(),
        path,
        scope: tokenScopes[0] as AdminScope,
        hasBody: Boolean(op.requestBody),
        description: op.description ?? "",
        security: op.security ?? [],
      });
    }
  }
  const created = await Promise.all(ADMIN_SCOPES.map((s) => createAdminToken({ name: unique(`scope-${s.replace(":", "-")}`), scopes: [s], actor: "test" })));
  ADMIN_SCOPES.forEach((s, i) => {
    tokens[s] = { id: created[i].tokenId, token: created[i].token };
  });
}, 60_000);

describe("the scope of every admin route", () => {
  it("is declared on every route under /api/v1/admin/ (fail closed: a route without one could not be reached by a token, and this fails)", () => {
    const adminRoutes = ROUTES.filter((r) => r.path.startsWith(ADMIN_PREFIX));
    expect(adminRoutes.length).toBeGreaterThan(40);
    const undeclared = adminRoutes
      .filter((r) => !(typeof r.access === "object" && "admin" in r.access && (ADMIN_SCOPES as readonly string[]).includes(r.access.scope)))
      .map((r) => `${r.method} ${r.path}`);
    expect(undeclared).toEqual([]);
    // A read never needs a write scope (a reporting token with `:read` scopes can read everything in its areas).
    const writeToRead = adminRoutes.filter((r) => r.method === "GET" && (r.access as { scope: string }).scope.endsWith(":write")).map((r) => r.path);
    expect(writeToRead).toEqual([]);
  });

  it("is stated by the OpenAPI document for every admin operation: as the adminToken security requirement, in the description, and a documented 403 insufficient_scope", async () => {
    const documented = new Set(operations.map((o) => `${o.method} ${o.path}`));
    const routed = ROUTES.filter((r) => r.path.startsWith(ADMIN_PREFIX) && r.docs).map((r) => `${r.method} ${r.path}`);
    expect([...documented].sort()).toEqual([...routed].sort());
    const doc = await (await fetch(`${baseUrl()}/api/v1/openapi.json`)).json();
    for (const op of operations) {
      const route = ROUTES.find((r) => r.method === op.method && r.path === op.path)!;
      expect(op.scope, label(op)).toBe((route.access as { scope: string }).scope);
      expect(op.security, label(op)).toEqual([{ session: [] }, { adminToken: [op.scope] }]);
      expect(op.description, label(op)).toContain(`**Admin API token scope:** \`${op.scope}\``);
      const forbidden = doc.paths[op.path][op.method.toLowerCase()].responses["403"];
      expect(Object.keys(forbidden.content["application/problem+json"].examples), label(op)).toContain("insufficient_scope");
    }
    expect(doc.components.securitySchemes.adminToken.description).toContain("insufficient_scope");
    expect(doc.components.securitySchemes.adminToken.description).not.toContain("everything else needs an admin's session");
  });
});

describe("a token with the scope", () => {
  it("gets past the gate of every admin operation: the exact scope, the :write of a :read, and admin (broken bodies are then 422)", async () => {
    for (const op of operations) {
      if (ACTS_ON_EVERYONE.has(`${op.method} ${op.path}`)) continue;
      const passing: AdminScope[] = [op.scope, "admin"];
      if (op.scope.endsWith(":read")) passing.push(op.scope.replace(/:read$/, ":write") as AdminScope);
      for (const scope of new Set(passing)) {
        const res = await call(op, tokens[scope].token);
        const text = await res.text();
        const what = `${label(op)} with ${scope} → ${res.status} ${text.slice(0, 200)}`;
        expect([401, 403], what).not.toContain(res.status);
        expect(res.status, what).toBeLessThan(500);
        // The body parser runs after the gate: a 422 here proves the gate let the call through.
        if (op.hasBody) expect(res.status, what).toBe(422);
      }
    }
  }, 120_000);

  it("gets past the gate of the operations that act on everyone's audit log too, checked in-process without running them", async () => {
    const routes = ROUTES.filter((r) => ACTS_ON_EVERYONE.has(`${r.method} ${r.path}`));
    expect(routes).toHaveLength(ACTS_ON_EVERYONE.size);
    for (const route of routes) {
      const scope = (route.access as { scope: AdminScope }).scope;
      for (const held of ADMIN_SCOPES) {
        const req = new Request(baseUrl() + route.path, { method: route.method, headers: { authorization: `Bearer ${tokens[held].token}` } });
        const outcome = await authenticateCaller(route.access, req).then(
          (caller) => ({ passed: true, actor: (caller.admin as { actor: string }).actor }),
          (err: AppError) => ({ passed: false, code: err.code }),
        );
        if (scopeAllows([held], scope)) expect(outcome, `${route.path} with ${held}`).toEqual({ passed: true, actor: `admin_token:${tokens[held].id}` });
        else expect(outcome, `${route.path} with ${held}`).toEqual({ passed: false, code: "insufficient_scope" });
      }
    }
  });
});

describe("a token without the scope", () => {
  it("is refused by every admin operation with 403 insufficient_scope naming the scope, before anything is read", async () => {
    let refusals = 0;
    for (const op of operations) {
      for (const held of ADMIN_SCOPES) {
        if (scopeAllows([held], op.scope)) continue;
        const problem = await expectProblem(await call(op, tokens[held].token), 403, "insufficient_scope");
        expect(problem.detail, `${label(op)} with ${held}`).toContain(`scope ${op.scope}`);
        refusals++;
      }
    }
    // Every operation refuses at least the eight scopes of other areas.
    expect(refusals).toBeGreaterThanOrEqual(operations.length * 8);
  }, 180_000);

  it("is refused the reads of other areas and the writes of its own area's :read", async () => {
    const get = (path: string, scope: AdminScope) => fetch(baseUrl() + path, { headers: { authorization: `Bearer ${tokens[scope].token}` } });
    await expectProblem(await get("/api/v1/admin/users", "agents:write"), 403, "insufficient_scope");
    expect((await get("/api/v1/admin/users", "users:read")).status).toBe(200);
    expect((await get("/api/v1/admin/users", "users:write")).status).toBe(200);
    const create = await fetch(`${baseUrl()}/api/v1/admin/agents`, {
      method: "POST",
      headers: { authorization: `Bearer ${tokens["agents:read"].token}`, "content-type": "application/json" },
      body: JSON.stringify({ name: unique("never") }),
    });
    const problem = await expectProblem(create, 403, "insufficient_scope");
    expect(problem.detail).toBe("this admin token lacks the scope agents:write (admin would do)");
  });
});

describe("token life cycle", () => {
  it("answers 401 to a revoked token, whatever its scope", async () => {
    const { tokenId, token } = await createAdminToken({ name: unique("revoked"), scopes: ["agents:read"], actor: "test" });
    const list = () => fetch(`${baseUrl()}/api/v1/admin/agents`, { headers: { authorization: `Bearer ${token}` } });
    expect((await list()).status).toBe(200);
    await revokeAdminToken({ tokenId, actor: "test" });
    await expectProblem(await list(), 401, "unauthenticated");
  });

  it("gives tokens stored before scopes existed the admin scope (the migration's default)", async () => {
    const { tokenId, token } = await createAdminToken({ name: unique("legacy"), scopes: ["audit:read"], actor: "test" });
    // What a row written by the previous version looks like: no scopes column given.
    const id = `${tokenId.slice(0, -1)}L`;
    await db()
      .insertInto("adminTokens")
      .columns(["id", "name", "secretHash", "createdBy"])
      .expression(
        db()
          .selectFrom("adminTokens")
          .select([sql<string>`${id}`.as("id"), sql<string>`'legacy'`.as("name"), "secretHash", "createdBy"])
          .where("id", "=", tokenId),
      )
      .execute();
    const row = await db().selectFrom("adminTokens").select("scopes").where("id", "=", id).executeTakeFirstOrThrow();
    expect(row.scopes).toEqual(["admin"]);
    const legacy = token.replace(`csa_${tokenId}_`, `csa_${id}_`);
    const res = await fetch(`${baseUrl()}/api/v1/admin/access`, { headers: { authorization: `Bearer ${legacy}` } });
    expect(res.status).toBe(200);
  });

  it("is created by an admin with scopes (listed, and recorded in the audit event); unknown or empty scopes are 422; without scopes it has admin", async () => {
    const admin = await signIn(await newUser("admin"));
    const name = unique("provisioning");
    const created = await reviewerFetch(admin, "/api/v1/admin/tokens", {
      method: "POST",
      json: { name, scopes: ["webhooks:write", "agents:write", "agents:write", "users:write"] },
    });
    expect(created.status).toBe(201);
    const body = await created.json();
    expect(body.scopes).toEqual(["agents:write", "users:write", "webhooks:write"]);

    const listed = await (await reviewerFetch(admin, "/api/v1/admin/access")).json();
    expect(listed.tokens.find((t: { id: string }) => t.id === body.id)).toMatchObject({ name, scopes: ["agents:write", "users:write", "webhooks:write"] });

    await awaitSealed();
    const event = await db()
      .selectFrom("auditEvents")
      .select(["data", "actor"])
      .where("type", "=", "admin_token.created")
      .where(sql<string>`data->>'token_id'`, "=", body.id)
      .executeTakeFirstOrThrow();
    expect(event.data).toMatchObject({ token_id: body.id, name, scopes: ["agents:write", "users:write", "webhooks:write"] });

    const bad = await reviewerFetch(admin, "/api/v1/admin/tokens", { method: "POST", json: { name, scopes: ["agents:write", "root"] } });
    const problem = await expectProblem(bad, 422, "validation_failed");
    expect(problem.errors?.[0].path).toBe("scopes.1");
    await expectProblem(await reviewerFetch(admin, "/api/v1/admin/tokens", { method: "POST", json: { name, scopes: [] } }), 422, "validation_failed");

    const everything = await (await reviewerFetch(admin, "/api/v1/admin/tokens", { method: "POST", json: { name: unique("all") } })).json();
    expect(everything.scopes).toEqual(["admin"]);
  });

  it("lets an admin-scoped token mint tokens, and refuses narrower tokens (a token cannot widen itself)", async () => {
    const mint = (token: string) =>
      fetch(`${baseUrl()}/api/v1/admin/tokens`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ name: unique("minted"), scopes: ["admin"] }),
      });
    await expectProblem(await mint(tokens["users:write"].token), 403, "insufficient_scope");
    const minted = await mint(tokens.admin.token);
    expect(minted.status).toBe(201);
    const { id } = await minted.json();
    const row = await db().selectFrom("adminTokens").select(["createdBy", "scopes"]).where("id", "=", id).executeTakeFirstOrThrow();
    expect(row).toEqual({ createdBy: `admin_token:${tokens.admin.id}`, scopes: ["admin"] });
  });
});

describe("provisioning automation", () => {
  it("creates an agent, a user, a reviewer group with that user, and a webhook with a token holding only agents:write, users:write and webhooks:write, audited as the token", async () => {
    const { tokenId, token } = await createAdminToken({
      name: unique("provisioner"),
      scopes: ["agents:write", "users:write", "webhooks:write"],
      actor: "test",
    });
    const as = (path: string, method: string, json?: unknown) =>
      fetch(baseUrl() + path, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(json ? { "content-type": "application/json" } : {}) },
        body: json ? JSON.stringify(json) : undefined,
      });

    const agentName = unique("provisioned");
    const agent = await as("/api/v1/admin/agents", "POST", { name: agentName, tags: [unique("team")] });
    expect(agent.status).toBe(201);
    const { agent: agentObject, key } = await agent.json();
    expect(key).toMatch(/^csk_/);

    const email = `${unique("provisioned")}@example.test`;
    const user = await as("/api/v1/admin/users", "POST", { email, role: "reviewer" });
    expect(user.status).toBe(201);
    const { user: userObject } = await user.json();

    const groupName = unique("grp");
    expect((await as("/api/v1/admin/groups", "POST", { name: groupName })).status).toBe(201);
    const member = await as(`/api/v1/admin/groups/${groupName}/members`, "POST", { email });
    expect(member.status).toBe(200);
    expect((await member.json()).members.map((m: { email: string }) => m.email)).toContain(email);

    // Disabled, so it never receives other suites' events.
    const webhook = await as("/api/v1/admin/webhooks", "POST", {
      url: "https://hooks.example.com/provisioned",
      event_types: ["agent.retired"],
      enabled: false,
    });
    expect(webhook.status, await webhook.clone().text()).toBe(201);
    const { endpoint } = await webhook.json();
    const webhookId = endpoint.id;

    // The reads come with the writes; other areas stay shut.
    expect((await as(`/api/v1/admin/agents/${agentObject.id}`, "GET")).status).toBe(200);
    expect((await as(`/api/v1/admin/users/${userObject.id}`, "GET")).status).toBe(200);
    await expectProblem(await as("/api/v1/admin/policies", "GET"), 403, "insufficient_scope");
    await expectProblem(await as("/api/v1/admin/audit/events", "GET"), 403, "insufficient_scope");

    expect((await as(`/api/v1/admin/webhooks/${webhookId}`, "DELETE")).status).toBe(204);

    await awaitSealed();
    const events = await db().selectFrom("auditEvents").select("type").where("actor", "=", `admin_token:${tokenId}`).execute();
    const types = new Set(events.map((e) => e.type));
    for (const t of ["agent.created", "user.created", "group.created", "group.member_added", "webhook.endpoint_created", "webhook.endpoint_deleted"]) {
      expect([...types], t).toContain(t);
    }
  });
});
