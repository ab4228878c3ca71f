import type { ResponseConfig, RouteConfig } from "@asteasolutions/zod-to-openapi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ZodType } from "zod";
import { createAdminToken } from "../../lib/admin-tokens/admin-tokens.ts";
import { transact } from "../../lib/db.ts";
import { closeHub } from "../../lib/events/hub.ts";
import { newDecisionLinks, storeDecisionLinks } from "../../lib/notifications/decision-links.ts";
import { openApiRegistry } from "../../lib/openapi/index.ts";
import { parsePolicyText } from "../../lib/policy/policy-as-code.ts";
import { ROUTES } from "../../lib/routes/index.ts";
import { agentFetch, baseUrl, createPending, decide, newUser, redeem, reviewerFetch, signIn, unique } from "../support/fixtures.ts";

// Walks the API as an integrator would and checks every answer against the
// operation's documented response for that status: the schema accepts it and
// names every field (zod drops unnamed keys, so a difference is an
// undocumented field). Shared state (the policy default, SSO settings, other
// suites' rules) is read or written back unchanged.

const routes = openApiRegistry(ROUTES)
  .definitions.filter((d): d is { type: "route"; route: RouteConfig } => d.type === "route")
  .map((d) => d.route);

const seen = new Set<string>();

/** Asserts `res` is a documented answer of `method path` (a path template), and returns its body. */
async function documented(res: Response, method: string, path: string): Promise<any> {
  const route = routes.find((r) => r.method === method && r.path === path);
  expect(route, `${method} ${path} is documented`).toBeDefined();
  const label = `${method} ${path} → ${res.status}`;
  const response = route!.responses[String(res.status)] as ResponseConfig | undefined;
  expect(response, `${label} is a documented status (${await res.clone().text()})`).toBeDefined();
  seen.add(`${method} ${path}`);
  if (res.status === 204) {
    expect(response!.content).toBeUndefined();
    return null;
  }
  const mediaType = (res.headers.get("content-type") ?? "").split(";")[0].trim();
  const media = response!.content?.[mediaType];
  expect(media, `${label} answers a documented content type (${mediaType})`).toBeDefined();
  const text = await res.text();
  const body = mediaType.endsWith("json") && !mediaType.endsWith("ndjson") ? JSON.parse(text) : mediaType === "application/yaml" ? parsePolicyText(text) : text;
  const parsed = (media!.schema as ZodType).safeParse(body);
  expect(parsed.success, `${label}: ${parsed.error?.message}\n${text.slice(0, 2000)}`).toBe(true);
  expect(parsed.data, `${label}: every field is documented`).toEqual(body);
  return body;
}

let adminCookie: string;
let reviewerCookie: string;
let reviewerId: string;
let adminToken: string;

beforeAll(async () => {
  const [admin, reviewer] = await Promise.all([newUser("admin"), newUser("reviewer")]);
  reviewerId = reviewer.id;
  [adminCookie, reviewerCookie] = await Promise.all([signIn(admin), signIn(reviewer)]);
  ({ token: adminToken } = await createAdminToken({ name: unique("openapi"), actor: "test" }));
});
afterAll(async () => {
  await closeHub();
});

const admin = (path: string, init: Parameters<typeof reviewerFetch>[2] = {}) => reviewerFetch(adminCookie, path, init);
const withToken = (path: string, init: RequestInit = {}) =>
  fetch(baseUrl() + path, { ...init, headers: { ...(init.headers as object), authorization: `Bearer ${adminToken}` } });

describe("real answers match the documented responses", () => {
  let agent: { id: string; name: string; key: string };
  let requestId: string;
  let grantToken: string;

  it("admin: agents and keys", async () => {
    const name = unique("openapi-agent");
    const created = await documented(
      await admin("/api/v1/admin/agents", { method: "POST", json: { name, owner: "owner@example.test", tags: ["docs"], key_expires_in_days: 30 } }),
      "post",
      "/api/v1/admin/agents",
    );
    agent = { id: created.agent.id, name, key: created.key };
    await documented(await admin("/api/v1/admin/agents"), "get", "/api/v1/admin/agents");
    await documented(await admin(`/api/v1/admin/agents/${agent.id}`), "get", "/api/v1/admin/agents/{id}");
    await documented(
      await admin(`/api/v1/admin/agents/${agent.id}`, { method: "PATCH", json: { description: "Documented", trust_level: "elevated" } }),
      "patch",
      "/api/v1/admin/agents/{id}",
    );
    const issued = await documented(
      await admin(`/api/v1/admin/agents/${agent.id}/keys`, { method: "POST", json: { expires_in_days: 7 } }),
      "post",
      "/api/v1/admin/agents/{id}/keys",
    );
    await documented(await admin(`/api/v1/admin/agents/${agent.id}/keys`), "get", "/api/v1/admin/agents/{id}/keys");
    await documented(
      await admin(`/api/v1/admin/agents/${agent.id}/keys/${issued.key_id}/revoke`, { method: "POST" }),
      "post",
      "/api/v1/admin/agents/{id}/keys/{keyId}/revoke",
    );
    await documented(
      await admin(`/api/v1/admin/agents/${agent.id}/keys/${issued.key_id}/revoke`, { method: "POST" }),
      "post",
      "/api/v1/admin/agents/{id}/keys/{keyId}/revoke",
    );
    await documented(
      await admin("/api/v1/admin/agents/agt_nosuchagent", { method: "PATCH", json: { description: "x" } }),
      "patch",
      "/api/v1/admin/agents/{id}",
    );
    await documented(await reviewerFetch(reviewerCookie, "/api/v1/admin/agents"), "get", "/api/v1/admin/agents");

    const other = await documented(
      await admin("/api/v1/admin/agents", { method: "POST", json: { name: unique("openapi-stop") } }),
      "post",
      "/api/v1/admin/agents",
    );
    await documented(
      await admin(`/api/v1/admin/agents/${other.agent.id}/suspend`, { method: "POST", json: { reason: "docs" } }),
      "post",
      "/api/v1/admin/agents/{id}/suspend",
    );
    await documented(await admin(`/api/v1/admin/agents/${other.agent.id}/resume`, { method: "POST" }), "post", "/api/v1/admin/agents/{id}/resume");
    await documented(await admin(`/api/v1/admin/agents/${other.agent.id}/retire`, { method: "POST" }), "post", "/api/v1/admin/agents/{id}/retire");
    await documented(await admin(`/api/v1/admin/agents/${other.agent.id}/resume`, { method: "POST" }), "post", "/api/v1/admin/agents/{id}/resume");

    // Bulk containment, by a tag of this suite's own (with the admin token, as incident tooling would).
    const tag = unique("openapi-bulk");
    await documented(
      await admin("/api/v1/admin/agents", { method: "POST", json: { name: unique("openapi-bulk"), tags: [tag] } }),
      "post",
      "/api/v1/admin/agents",
    );
    const suspended = await documented(
      await withToken("/api/v1/admin/agents/suspend", { method: "POST", body: JSON.stringify({ tag, reason: "docs" }) }),
      "post",
      "/api/v1/admin/agents/suspend",
    );
    expect(suspended.suspended).toHaveLength(1);
    const resumed = await documented(
      await withToken("/api/v1/admin/agents/resume", { method: "POST", body: JSON.stringify({ tag }) }),
      "post",
      "/api/v1/admin/agents/resume",
    );
    expect(resumed.resumed).toHaveLength(1);
    await documented(await admin("/api/v1/admin/agents/suspend", { method: "POST", json: { all: true, tag } }), "post", "/api/v1/admin/agents/suspend");
  });

  it("admin: policy (rules scoped to this suite's agent; the default written back unchanged)", async () => {
    const definition = {
      name: unique("openapi-rule"),
      agents: { names: [agent.name] },
      actions: ["docs.*"],
      effect: "require_approval",
      approvals_required: 1,
    };
    const rule = await documented(
      await withToken("/api/v1/admin/policies/rules", { method: "POST", body: JSON.stringify(definition) }),
      "post",
      "/api/v1/admin/policies/rules",
    );
    await documented(await admin("/api/v1/admin/policies/rules"), "get", "/api/v1/admin/policies/rules");
    await documented(await admin(`/api/v1/admin/policies/rules/${rule.id}`), "get", "/api/v1/admin/policies/rules/{id}");
    await documented(
      await admin(`/api/v1/admin/policies/rules/${rule.id}`, { method: "PUT", json: { ...definition, description: "edited" } }),
      "put",
      "/api/v1/admin/policies/rules/{id}",
    );
    await documented(
      await admin(`/api/v1/admin/policies/rules/${rule.id}`, { method: "PUT", json: { ...definition, condition: "params.amount >" } }),
      "put",
      "/api/v1/admin/policies/rules/{id}",
    );
    await documented(await admin(`/api/v1/admin/policies/rules/${rule.id}/history`), "get", "/api/v1/admin/policies/rules/{id}/history");
    await documented(await admin(`/api/v1/admin/policies/rules/${rule.id}/disable`, { method: "POST" }), "post", "/api/v1/admin/policies/rules/{id}/disable");
    await documented(await admin(`/api/v1/admin/policies/rules/${rule.id}/enable`, { method: "POST" }), "post", "/api/v1/admin/policies/rules/{id}/enable");
    const current = await (await admin(`/api/v1/admin/policies/rules/${rule.id}`)).json();
    await documented(
      await admin(`/api/v1/admin/policies/rules/${rule.id}/move`, { method: "POST", json: { position: current.position } }),
      "post",
      "/api/v1/admin/policies/rules/{id}/move",
    );
    await documented(
      await admin("/api/v1/admin/policies/simulate", {
        method: "POST",
        json: { rule: { ...definition, effect: "allow" }, sample: { action: "docs.read", agent: { name: agent.name } } },
      }),
      "post",
      "/api/v1/admin/policies/simulate",
    );

    // Shadow rules: promoted once (200), then already enforced (409).
    const shadow = await (
      await withToken("/api/v1/admin/policies/rules", {
        method: "POST",
        body: JSON.stringify({ ...definition, name: unique("openapi-shadow"), mode: "shadow" }),
      })
    ).json();
    await documented(await admin(`/api/v1/admin/policies/rules/${shadow.id}/promote`, { method: "POST" }), "post", "/api/v1/admin/policies/rules/{id}/promote");
    await documented(await admin(`/api/v1/admin/policies/rules/${shadow.id}/promote`, { method: "POST" }), "post", "/api/v1/admin/policies/rules/{id}/promote");
    // Propose a rule: from an approved request (200), from a pending one (409).
    const asked = await createPending({ ...agent, agentId: agent.id }, { action: "docs.publish", params: { pages: 3 } });
    expect((await decide(reviewerCookie, asked.id, "approve", "ok")).status).toBe(200);
    await documented(await admin(`/api/v1/admin/requests/${asked.id}/proposed-rule`), "get", "/api/v1/admin/requests/{id}/proposed-rule");
    const waiting = await createPending({ ...agent, agentId: agent.id }, { action: "docs.publish", params: { pages: 4 } });
    await documented(await admin(`/api/v1/admin/requests/${waiting.id}/proposed-rule`), "get", "/api/v1/admin/requests/{id}/proposed-rule");

    const defaults = await documented(await admin("/api/v1/admin/policies/default"), "get", "/api/v1/admin/policies/default");
    await documented(
      await withToken("/api/v1/admin/policies/default", { method: "PUT", body: JSON.stringify(defaults) }),
      "put",
      "/api/v1/admin/policies/default",
    );
    await documented(await withToken("/api/v1/admin/policies"), "get", "/api/v1/admin/policies");
    const yaml = await withToken("/api/v1/admin/policies", { headers: { accept: "application/yaml" } });
    const exported = await documented(yaml.clone(), "get", "/api/v1/admin/policies");
    await documented(await withToken("/api/v1/admin/policies?dry_run=true", { method: "PUT", body: await yaml.text() }), "put", "/api/v1/admin/policies");
    expect(exported.rules.some((r: { name: string }) => r.name === definition.name)).toBe(true);
    await documented(await withToken("/api/v1/admin/policies?dry_run=true", { method: "PUT", body: "version: 2\n" }), "put", "/api/v1/admin/policies");
    await documented(await agentFetch(agent.key, "/api/v1/admin/policies"), "get", "/api/v1/admin/policies");

    const doomed = await documented(
      await withToken("/api/v1/admin/policies/rules", { method: "POST", body: JSON.stringify({ ...definition, name: unique("openapi-doomed") }) }),
      "post",
      "/api/v1/admin/policies/rules",
    );
    await documented(await withToken(`/api/v1/admin/policies/rules/${doomed.id}`, { method: "DELETE" }), "delete", "/api/v1/admin/policies/rules/{id}");
    await documented(await withToken(`/api/v1/admin/policies/rules/${doomed.id}`, { method: "DELETE" }), "delete", "/api/v1/admin/policies/rules/{id}");
  });

  it("agent, reviewer and executor: ask, decide, redeem, report", async () => {
    const ask = {
      action: "docs.publish",
      resource: "page:api",
      params: { version: 2 },
      summary: "Publish the API reference",
      context: { on_behalf_of: "someone@example.test" },
    };
    const created = await documented(
      await agentFetch(agent.key, "/api/v1/requests", { method: "POST", json: ask, headers: { "idempotency-key": unique("docs") } }),
      "post",
      "/api/v1/requests",
    );
    requestId = created.id;
    expect(created.status).toBe("pending");
    await documented(await agentFetch(agent.key, "/api/v1/requests?status=pending&limit=5"), "get", "/api/v1/requests");
    await documented(await agentFetch(agent.key, `/api/v1/requests/${requestId}?wait=0`), "get", "/api/v1/requests/{id}");
    await documented(await agentFetch(agent.key, "/api/v1/requests/req_00000000000000000000000000"), "get", "/api/v1/requests/{id}");
    await documented(await agentFetch("csk_nope", "/api/v1/requests"), "get", "/api/v1/requests");
    await documented(await agentFetch(agent.key, "/api/v1/requests", { method: "POST", json: { ...ask, unknown_field: 1 } }), "post", "/api/v1/requests");

    await documented(await reviewerFetch(reviewerCookie, `/api/v1/review/requests?status=pending&action=docs.publish`), "get", "/api/v1/review/requests");
    await documented(await reviewerFetch(reviewerCookie, `/api/v1/review/requests/${requestId}`), "get", "/api/v1/review/requests/{id}");
    await documented(
      await reviewerFetch(reviewerCookie, `/api/v1/requests/${requestId}/decisions`, { method: "POST", json: { decision: "deny" } }),
      "post",
      "/api/v1/requests/{id}/decisions",
    );
    await documented(
      await reviewerFetch(reviewerCookie, `/api/v1/requests/${requestId}/decisions`, {
        method: "POST",
        json: { decision: "approve" },
        origin: "https://evil.example",
      }),
      "post",
      "/api/v1/requests/{id}/decisions",
    );
    await documented(
      await reviewerFetch(reviewerCookie, `/api/v1/requests/${requestId}/decisions`, { method: "POST", json: { decision: "approve", reason: "ok" } }),
      "post",
      "/api/v1/requests/{id}/decisions",
    );
    await documented(
      await reviewerFetch(reviewerCookie, `/api/v1/requests/${requestId}/decisions`, { method: "POST", json: { decision: "approve" } }),
      "post",
      "/api/v1/requests/{id}/decisions",
    );

    const approved = await documented(await agentFetch(agent.key, `/api/v1/requests/${requestId}`), "get", "/api/v1/requests/{id}");
    grantToken = approved.grant.token;
    await documented(
      await agentFetch(agent.key, `/api/v1/requests/${requestId}/outcome`, { method: "POST", json: { status: "succeeded" } }),
      "post",
      "/api/v1/requests/{id}/outcome",
    );
    await documented(await redeem({ token: grantToken, action: "docs.publish", params: { version: 3 } }), "post", "/api/v1/grants/redeem");
    await documented(await redeem({ token: grantToken, action: "docs.publish", params: { version: 2 } }), "post", "/api/v1/grants/redeem");
    await documented(await redeem({ token: grantToken }), "post", "/api/v1/grants/redeem");
    await documented(await redeem({ token: "not.a.jwt" }), "post", "/api/v1/grants/redeem");
    await documented(
      await agentFetch(agent.key, `/api/v1/requests/${requestId}/outcome`, { method: "POST", json: { status: "succeeded", detail: "published" } }),
      "post",
      "/api/v1/requests/{id}/outcome",
    );
    await documented(
      await agentFetch(agent.key, `/api/v1/requests/${requestId}/outcome`, { method: "POST", json: { status: "failed" } }),
      "post",
      "/api/v1/requests/{id}/outcome",
    );
    await documented(await agentFetch(agent.key, `/api/v1/requests/${requestId}/cancel`, { method: "POST" }), "post", "/api/v1/requests/{id}/cancel");

    const second = await (await agentFetch(agent.key, "/api/v1/requests", { method: "POST", json: ask })).json();
    await documented(await agentFetch(agent.key, `/api/v1/requests/${second.id}/cancel`, { method: "POST" }), "post", "/api/v1/requests/{id}/cancel");

    const stream = await reviewerFetch(reviewerCookie, "/api/v1/review/stream", { signal: AbortSignal.timeout(5_000) });
    expect(stream.status).toBe(200);
    const route = routes.find((r) => r.path === "/api/v1/review/stream")!;
    expect(Object.keys((route.responses[200] as ResponseConfig).content!)).toEqual([stream.headers.get("content-type")]);
    seen.add("get /api/v1/review/stream");
    await stream.body?.cancel();
    await documented(await fetch(`${baseUrl()}/api/v1/review/stream`), "get", "/api/v1/review/stream");
  });

  it("admin: users, groups and access", async () => {
    const email = `${unique("invitee")}@example.test`;
    const invited = await documented(
      await admin("/api/v1/admin/users", { method: "POST", json: { email, role: "reviewer", name: "Invitee" } }),
      "post",
      "/api/v1/admin/users",
    );
    await documented(await admin("/api/v1/admin/users", { method: "POST", json: { email, role: "reviewer" } }), "post", "/api/v1/admin/users");
    await documented(await admin("/api/v1/admin/users"), "get", "/api/v1/admin/users");
    await documented(await admin(`/api/v1/admin/users/${invited.user.id}`), "get", "/api/v1/admin/users/{id}");
    await documented(
      await admin(`/api/v1/admin/users/${invited.user.id}`, { method: "PATCH", json: { role: "auditor" } }),
      "patch",
      "/api/v1/admin/users/{id}",
    );
    await documented(
      await admin(`/api/v1/admin/users/${invited.user.id}/reset-password`, { method: "POST" }),
      "post",
      "/api/v1/admin/users/{id}/reset-password",
    );

    const group = unique("docs").toLowerCase();
    await documented(await admin("/api/v1/admin/groups", { method: "POST", json: { name: group } }), "post", "/api/v1/admin/groups");
    await documented(await admin(`/api/v1/admin/groups/${group}/members`, { method: "POST", json: { email } }), "post", "/api/v1/admin/groups/{name}/members");
    await documented(
      await admin(`/api/v1/admin/groups/${group}/members`, { method: "POST", json: { user_id: reviewerId } }),
      "post",
      "/api/v1/admin/groups/{name}/members",
    );
    await documented(await admin("/api/v1/admin/groups"), "get", "/api/v1/admin/groups");
    await documented(
      await admin(`/api/v1/admin/groups/${group}/members/${reviewerId}`, { method: "DELETE" }),
      "delete",
      "/api/v1/admin/groups/{name}/members/{userId}",
    );

    await documented(await admin("/api/v1/admin/access"), "get", "/api/v1/admin/access");
    await documented(await admin("/api/v1/admin/access", { method: "PUT", json: { default_role: "owner" } }), "put", "/api/v1/admin/access");
    const token = await documented(await admin("/api/v1/admin/tokens", { method: "POST", json: { name: unique("docs-ci") } }), "post", "/api/v1/admin/tokens");
    await documented(await admin(`/api/v1/admin/tokens/${token.id}/revoke`, { method: "POST" }), "post", "/api/v1/admin/tokens/{id}/revoke");
    await documented(await admin("/api/v1/admin/tokens/nosuchtoken/revoke", { method: "POST" }), "post", "/api/v1/admin/tokens/{id}/revoke");

    await documented(await admin("/api/v1/admin/containment"), "get", "/api/v1/admin/containment");
    await documented(await reviewerFetch(reviewerCookie, "/api/v1/admin/containment"), "get", "/api/v1/admin/containment");
    await documented(
      await withToken("/api/v1/admin/containment", {
        method: "PUT",
        body: JSON.stringify({ request_rate: { max_requests: 0, window_seconds: 60 }, denial_rate: null }),
      }),
      "put",
      "/api/v1/admin/containment",
    );
  });

  it("admin: webhooks, deliveries and callback secrets", async () => {
    const created = await documented(
      await withToken("/api/v1/admin/webhooks", {
        method: "POST",
        body: JSON.stringify({ url: "https://hooks.example.com/docs", description: "docs", event_types: ["agent.suspended"], enabled: false }),
      }),
      "post",
      "/api/v1/admin/webhooks",
    );
    const id = created.endpoint.id;
    await documented(
      await admin("/api/v1/admin/webhooks", { method: "POST", json: { url: "https://169.254.169.254/", event_types: ["agent.suspended"] } }),
      "post",
      "/api/v1/admin/webhooks",
    );
    await documented(await admin("/api/v1/admin/webhooks"), "get", "/api/v1/admin/webhooks");
    await documented(await admin(`/api/v1/admin/webhooks/${id}`), "get", "/api/v1/admin/webhooks/{id}");
    await documented(
      await admin(`/api/v1/admin/webhooks/${id}`, { method: "PATCH", json: { description: "documented" } }),
      "patch",
      "/api/v1/admin/webhooks/{id}",
    );
    await documented(await admin(`/api/v1/admin/webhooks/${id}/rotate-secret`, { method: "POST" }), "post", "/api/v1/admin/webhooks/{id}/rotate-secret");
    const queued = await documented(await admin(`/api/v1/admin/webhooks/${id}/test`, { method: "POST" }), "post", "/api/v1/admin/webhooks/{id}/test");
    await documented(await admin(`/api/v1/admin/deliveries?endpoint_id=${id}`), "get", "/api/v1/admin/deliveries");
    await documented(await admin("/api/v1/admin/deliveries?status=nope"), "get", "/api/v1/admin/deliveries");
    await documented(await admin(`/api/v1/admin/deliveries/${queued.id}/retry`, { method: "POST" }), "post", "/api/v1/admin/deliveries/{id}/retry");
    await documented(await admin(`/api/v1/admin/agents/${agent.id}/callback-secret`, { method: "POST" }), "post", "/api/v1/admin/agents/{id}/callback-secret");
    await documented(await admin(`/api/v1/admin/webhooks/${id}`, { method: "DELETE" }), "delete", "/api/v1/admin/webhooks/{id}");
    await documented(await admin(`/api/v1/admin/webhooks/${id}`, { method: "DELETE" }), "delete", "/api/v1/admin/webhooks/{id}");
  });

  it("reviewer: notification preferences", async () => {
    const path = "/api/v1/review/notification-preferences";
    const mine = (init: Parameters<typeof reviewerFetch>[2] = {}) => reviewerFetch(reviewerCookie, path, init);
    await documented(await mine(), "get", path);
    await documented(await mine({ method: "PUT", json: { email_escalations: false } }), "put", path);
    await documented(await mine({ method: "PUT", json: { email_escalations: "no" } }), "put", path);
    await documented(await mine({ method: "PUT", json: {}, origin: "https://evil.example" }), "put", path);
    await documented(await fetch(baseUrl() + path), "get", path);
  });

  it("account: changing one's password", async () => {
    const path = "/api/v1/me/password";
    const user = await newUser("reviewer");
    const cookie = await signIn(user);
    const mine = (init: Parameters<typeof reviewerFetch>[2]) => reviewerFetch(cookie, path, { method: "POST", ...init });
    await documented(await mine({ json: { current_password: "wrong password", new_password: "a brand new password" } }), "post", path);
    await documented(
      await mine({ json: { current_password: user.password, new_password: "a brand new password" }, origin: "https://evil.example" }),
      "post",
      path,
    );
    await documented(await mine({ json: { current_password: user.password, new_password: "a brand new password" } }), "post", path);
    await documented(
      await fetch(baseUrl() + path, { method: "POST", headers: { origin: baseUrl(), "content-type": "application/json" }, body: "{}" }),
      "post",
      path,
    );
  });

  it("admin: action severity (written back unchanged)", async () => {
    const path = "/api/v1/admin/policies/action-severity";
    const current = await documented(await admin(path), "get", path);
    await documented(await admin(path, { method: "PUT", json: current }), "put", path);
    await documented(await admin(path, { method: "PUT", json: { action_severity: [{ pattern: "db.*", severity: "extreme" }] } }), "put", path);
    await documented(await reviewerFetch(reviewerCookie, path, { method: "PUT", json: current }), "put", path);
    await documented(await reviewerFetch(reviewerCookie, path), "get", path);
  });

  it("integrations: email decision links and Slack's endpoint", async () => {
    const created = await documented(
      await agentFetch(agent.key, "/api/v1/requests", {
        method: "POST",
        json: { action: "docs.publish", params: { version: 3 }, summary: "Publish again", context: { on_behalf_of: "someone@example.test" } },
        headers: { "idempotency-key": unique("docs-link") },
      }),
      "post",
      "/api/v1/requests",
    );
    // A pair of links for the reviewer, as the email dispatcher makes them.
    const made = newDecisionLinks({ requestId: created.id, userId: reviewerId, requestExpiresAt: new Date(created.expires_at), now: new Date() });
    await transact((trx) => storeDecisionLinks(trx, made.rows));
    const path = "/api/v1/decision-links/{token}";
    const link = `/api/v1/decision-links/${made.urls.deny.split("/decide/")[1]}`;
    await documented(await reviewerFetch(reviewerCookie, link), "get", path);
    await documented(await reviewerFetch(reviewerCookie, "/api/v1/decision-links/cdl_nope"), "get", path);
    await documented(await fetch(baseUrl() + link), "get", path);
    await documented(await reviewerFetch(reviewerCookie, link, { method: "POST", json: {} }), "post", path);
    await documented(await reviewerFetch(reviewerCookie, link, { method: "POST", json: { reason: "x" }, origin: "https://evil.example" }), "post", path);
    await documented(await reviewerFetch(reviewerCookie, link, { method: "POST", json: { reason: "Not this version" } }), "post", path);
    await documented(await reviewerFetch(reviewerCookie, link, { method: "POST", json: { reason: "again" } }), "post", path);
    // This app has no Slack app configured.
    const slack = "/api/v1/integrations/slack/interactions";
    await documented(
      await fetch(baseUrl() + slack, { method: "POST", body: "payload=%7B%7D", headers: { "content-type": "application/x-www-form-urlencoded" } }),
      "post",
      slack,
    );
  });

  it("reviewer: batch decisions", async () => {
    const path = "/api/v1/review/decisions";
    const batch = (json: unknown, origin?: string) => reviewerFetch(reviewerCookie, path, { method: "POST", json, origin });
    const missing = "req_00000000000000000000000000";
    const { results } = await documented(await batch({ ids: [missing], decision: "approve" }), "post", path);
    expect(results[0]).toMatchObject({ id: missing, status: 404, problem: { code: "not_found" } });
    await documented(await batch({ ids: [], decision: "approve" }), "post", path);
    await documented(await batch({ ids: [missing], decision: "approve" }, "https://evil.example"), "post", path);
    await documented(
      await fetch(baseUrl() + path, { method: "POST", headers: { origin: baseUrl(), "content-type": "application/json" }, body: "{}" }),
      "post",
      path,
    );
  });

  it("admin: audit log", async () => {
    const page = await documented(await admin("/api/v1/admin/audit/events?limit=2"), "get", "/api/v1/admin/audit/events");
    await documented(await admin("/api/v1/admin/audit/events?since=yesterday"), "get", "/api/v1/admin/audit/events");
    await documented(await reviewerFetch(reviewerCookie, "/api/v1/admin/audit/events"), "get", "/api/v1/admin/audit/events");
    await documented(await fetch(`${baseUrl()}/api/v1/admin/audit/events`), "get", "/api/v1/admin/audit/events");
    await documented(await admin(`/api/v1/admin/audit/events/${page.data[0].seq}`), "get", "/api/v1/admin/audit/events/{seq}");
    await documented(await admin("/api/v1/admin/audit/events/999999999999"), "get", "/api/v1/admin/audit/events/{seq}");
    await documented(await admin("/api/v1/admin/audit/events/abc"), "get", "/api/v1/admin/audit/events/{seq}");
    const since = encodeURIComponent(new Date(Date.now() - 60_000).toISOString());
    await documented(await withToken(`/api/v1/admin/audit/export?since=${since}&format=jsonl`), "get", "/api/v1/admin/audit/export");
    await documented(await withToken(`/api/v1/admin/audit/export?since=${since}&format=csv`), "get", "/api/v1/admin/audit/export");
    await documented(await withToken("/api/v1/admin/audit/export?format=xml"), "get", "/api/v1/admin/audit/export");
    await documented(await admin("/api/v1/admin/audit/verify", { method: "POST" }), "post", "/api/v1/admin/audit/verify");
    await documented(
      await admin("/api/v1/admin/audit/verify", { method: "POST", headers: { accept: "application/x-ndjson" } }),
      "post",
      "/api/v1/admin/audit/verify",
    );
    await documented(await reviewerFetch(reviewerCookie, "/api/v1/admin/audit/verify", { method: "POST" }), "post", "/api/v1/admin/audit/verify");
    await documented(await withToken("/api/v1/admin/audit/checkpoints", { method: "POST" }), "post", "/api/v1/admin/audit/checkpoints");
    await documented(await withToken("/api/v1/admin/audit/checkpoints", { method: "POST" }), "post", "/api/v1/admin/audit/checkpoints");
    await documented(await reviewerFetch(reviewerCookie, "/api/v1/admin/audit/checkpoints", { method: "POST" }), "post", "/api/v1/admin/audit/checkpoints");
    await documented(await admin("/api/v1/admin/audit/checkpoints"), "get", "/api/v1/admin/audit/checkpoints");
    // Retention: read, and written only with invalid bodies (a real policy would race the audit suite); applying
    // without a policy, or with the audit suite's century-long one, deletes nothing.
    await documented(await admin("/api/v1/admin/audit/retention"), "get", "/api/v1/admin/audit/retention");
    await documented(
      await withToken("/api/v1/admin/audit/retention", { method: "PUT", body: JSON.stringify({ days: 0 }) }),
      "put",
      "/api/v1/admin/audit/retention",
    );
    await documented(
      await reviewerFetch(reviewerCookie, "/api/v1/admin/audit/retention", { method: "PUT", json: { days: 30 } }),
      "put",
      "/api/v1/admin/audit/retention",
    );
    await documented(await withToken("/api/v1/admin/audit/retention/apply", { method: "POST" }), "post", "/api/v1/admin/audit/retention/apply");
    await documented(
      await reviewerFetch(reviewerCookie, "/api/v1/admin/audit/retention/apply", { method: "POST" }),
      "post",
      "/api/v1/admin/audit/retention/apply",
    );
  });

  it("operations and the executor's keys", async () => {
    await documented(await fetch(`${baseUrl()}/api/health`), "get", "/api/health");
    await documented(await fetch(`${baseUrl()}/api/metrics`), "get", "/api/metrics");
    await documented(await fetch(`${baseUrl()}/.well-known/jwks.json`), "get", "/.well-known/jwks.json");
    await documented(await fetch(`${baseUrl()}/api/v1/openapi.json`), "get", "/api/v1/openapi.json");
  });

  it("called every documented operation", () => {
    // (PUT /api/v1/admin/access and /containment only with invalid bodies: changing SSO's default role or the
    // containment rules would race the access and containment suites.)
    expect(routes.map((r) => `${r.method} ${r.path}`).filter((op) => !seen.has(op))).toEqual([]);
  });
});
