import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createAdminToken, revokeAdminToken } from "../../lib/admin-tokens/admin-tokens.ts";
import { awaitSealed } from "../../lib/audit/sealer.ts";
import { verifyChain } from "../../lib/audit/verify-chain.ts";
import { db } from "../../lib/db.ts";
import { closeHub } from "../../lib/events/hub.ts";
import { addGroupMember } from "../../lib/users/groups.ts";
import { createRule, deleteRule, getRuleHistory, listRules, setRuleEnabled, updateRule } from "../../lib/policy/rules.ts";
import { simulateRule } from "../../lib/policy/simulate.ts";
import {
  agentFetch,
  baseUrl,
  createRequestRaw,
  decide,
  expectProblem,
  newAgent,
  newUser,
  redeem,
  reviewerFetch,
  sampleRequest,
  signIn,
  unique,
  type TestAgent,
} from "../support/fixtures.ts";

// Policy rules are global, and other suites run alongside this one against the
// same app: every rule here selects only this suite's agents by name, and every
// imported document keeps the built-in default.

const BUILTIN_DEFAULT = { effect: "require_approval", approvals_required: 1, wait_seconds: 900, grant_ttl_seconds: 300 };
let adminToken: string;
let adminTokenId: string;

beforeAll(async () => {
  ({ token: adminToken, tokenId: adminTokenId } = await createAdminToken({ name: unique("ci"), actor: "test" }));
});
afterAll(async () => {
  await closeHub();
});

function adminFetch(path: string, init: RequestInit & { token?: string } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set("authorization", `Bearer ${init.token ?? adminToken}`);
  return fetch(baseUrl() + path, { ...init, headers });
}

async function create(agent: TestAgent, overrides: Record<string, unknown> = {}): Promise<any> {
  const res = await createRequestRaw(agent, sampleRequest(overrides));
  expect(res.status, await res.clone().text()).toBe(201);
  return res.json();
}

const ruleFor = (agent: TestAgent, def: Record<string, unknown>) => ({
  name: unique("rule"),
  agents: { names: [agent.name] },
  actions: ["payments.*"],
  ...def,
});

async function policyTables() {
  const rules = await db().selectFrom("policyRules").selectAll().orderBy("id").execute();
  const { versions } = await db()
    .selectFrom("policyRuleVersions")
    .select((eb) => eb.fn.countAll<string>().as("versions"))
    .executeTakeFirstOrThrow();
  const setting = await db().selectFrom("settings").select("value").where("key", "=", "policy.default").executeTakeFirst();
  return { rules, versions, setting: setting?.value ?? null };
}

describe("rules decide requests", () => {
  it("an allow rule approves at once with a grant that redeems once", async () => {
    const agent = await newAgent();
    const { ruleId } = await createRule({
      definition: ruleFor(agent, { effect: "allow", grant_ttl_seconds: 120, audience: "payments-service" }),
      position: 0,
      actor: "test",
    });
    const body = await create(agent);
    expect(body.status).toBe("approved");
    expect(body.policy).toMatchObject({ id: ruleId, version: 1, effect: "allow" });
    expect(body.decision).toMatchObject({ status: "approved", by: `policy:${ruleId}` });
    const first = await redeem({ token: body.grant.token, action: body.action, params: body.params });
    expect(first.status).toBe(200);
    expect((await redeem({ token: body.grant.token })).status).toBe(409);
  });

  it("a deny rule denies with the rule's reason", async () => {
    const agent = await newAgent();
    await createRule({ definition: ruleFor(agent, { effect: "deny", reason: "Refunds are never automated" }), position: 0, actor: "test" });
    const body = await create(agent);
    expect(body.status).toBe("denied");
    expect(body.decision).toMatchObject({ status: "denied", reason: "Refunds are never automated" });
    expect(body.grant).toBeNull();
  });

  it("a condition routes large amounts to two reviewers, small ones are allowed; 2-of-N counts distinct approvals", async () => {
    const agent = await newAgent();
    const large = await createRule({
      definition: ruleFor(agent, { condition: "params.amount > 1000", effect: "require_approval", approvals_required: 2 }),
      position: 0,
      actor: "test",
    });
    await createRule({ definition: ruleFor(agent, { effect: "allow" }), position: 1, actor: "test" });

    expect((await create(agent, { params: { amount: 100 } })).status).toBe("approved");
    const pending = await create(agent, { params: { amount: 5000 } });
    expect(pending).toMatchObject({ status: "pending", policy: { id: large.ruleId, approvals_required: 2, effect: "require_approval" } });

    const [a, b] = await Promise.all([newUser(), newUser()]);
    const [ca, cb] = await Promise.all([signIn(a), signIn(b)]);
    const first = await decide(ca, pending.id, "approve", "looks right");
    expect(first.status).toBe(200);
    const afterFirst = await first.json();
    expect(afterFirst.status).toBe("pending");
    expect(afterFirst.approvals).toHaveLength(1);
    expect((await decide(ca, pending.id, "approve", "again")).status).toBe(409);
    const second = await decide(cb, pending.id, "approve", "agreed");
    expect(second.status).toBe(200);
    expect((await second.json()).status).toBe("approved");
  });

  it("shows a request routed to a group only to its members, admins and auditors", async () => {
    const agent = await newAgent();
    const group = unique("treasury");
    await createRule({ definition: ruleFor(agent, { effect: "require_approval", reviewers: { groups: [group] } }), position: 0, actor: "test" });
    const [outsider, member, admin, auditor] = [await newUser(), await newUser(), await newUser("admin"), await newUser("auditor")];
    await addGroupMember({ group, email: member.email, actor: "test", createGroup: true });
    const req = await create(agent);
    const sees = async (user: { email: string; password: string }) => {
      const cookie = await signIn(user);
      const list = await (await reviewerFetch(cookie, "/api/v1/review/requests?status=pending&limit=100")).json();
      const detail = await reviewerFetch(cookie, `/api/v1/review/requests/${req.id}`);
      return { listed: list.data.some((r: { id: string }) => r.id === req.id), detail: detail.status };
    };
    expect(await sees(outsider)).toEqual({ listed: false, detail: 404 });
    expect(await sees(member)).toEqual({ listed: true, detail: 200 });
    expect(await sees(admin)).toEqual({ listed: true, detail: 200 });
    expect(await sees(auditor)).toEqual({ listed: true, detail: 200 });
  });

  it("only members of the rule's groups decide; a reason may be required to approve", async () => {
    const agent = await newAgent();
    const group = unique("finance");
    await createRule({
      definition: ruleFor(agent, { effect: "require_approval", reviewers: { groups: [group] }, reason_required_to_approve: true }),
      position: 0,
      actor: "test",
    });
    const outsider = await newUser();
    const member = await newUser();
    await addGroupMember({ group, email: member.email, actor: "test", createGroup: true });
    const req = await create(agent);
    await expectProblem(await decide(await signIn(outsider), req.id, "approve", "fine"), 403, "forbidden");
    const cookie = await signIn(member);
    // Said before anyone clicks: the reviewer's view carries the requirement.
    expect((await (await reviewerFetch(cookie, `/api/v1/review/requests/${req.id}`)).json()).reason_required_to_approve).toBe(true);
    await expectProblem(await decide(cookie, req.id, "approve"), 422, "validation_failed");
    const ok = await decide(cookie, req.id, "approve", "checked the ticket");
    expect(ok.status).toBe(200);
    expect((await ok.json()).status).toBe("approved");
  });

  it("the owner bar follows the rule", async () => {
    const owner = await newUser();
    const ownerCookie = await signIn(owner);
    const barred: TestAgent = await newAgent({ owner: owner.email });
    const allowed: TestAgent = await newAgent({ owner: owner.email });
    await createRule({ definition: ruleFor(barred, { effect: "require_approval" }), position: 0, actor: "test" });
    await createRule({ definition: ruleFor(allowed, { effect: "require_approval", owner_may_decide: true }), position: 0, actor: "test" });
    await expectProblem(await decide(ownerCookie, (await create(barred)).id, "approve", "mine"), 403, "forbidden");
    expect((await decide(ownerCookie, (await create(allowed)).id, "approve", "mine")).status).toBe(200);
  });

  it("a rule changed in another process applies to the very next request (NOTIFY invalidates the cache)", async () => {
    const agent = await newAgent();
    const { ruleId } = await createRule({ definition: ruleFor(agent, { effect: "allow" }), position: 0, actor: "test" });
    expect((await create(agent)).status).toBe("approved");
    await setRuleEnabled({ ruleId, enabled: false, actor: "test" });
    expect((await create(agent)).status).toBe("pending");
    await setRuleEnabled({ ruleId, enabled: true, actor: "test" });
    const rule = (await listRules()).find((r) => r.id === ruleId)!;
    await updateRule({ ruleId, definition: { ...rule.definition, effect: "deny", reason: "changed" }, actor: "test" });
    const denied = await create(agent);
    expect(denied).toMatchObject({ status: "denied", policy: { id: ruleId, version: 2 } });
    await deleteRule({ ruleId, actor: "test" });
    expect((await create(agent)).status).toBe("pending");

    const history = await getRuleHistory({ ruleId });
    expect(history.map((v) => [v.version, v.createdBy])).toEqual([
      [2, "test"],
      [1, "test"],
    ]);
  });

  it("after a policy change, calls arriving while the rules reload wait for that load instead of each starting another", async () => {
    const agents = await Promise.all(Array.from({ length: 4 }, () => newAgent()));
    const { ruleId } = await createRule({
      definition: ruleFor(agents[0], { effect: "deny", reason: "never", actions: ["never.asked.*"] }),
      position: 0,
      actor: "test",
    });
    const metric = async (name: string) => {
      const text = await (await fetch(`${baseUrl()}/api/metrics`)).text();
      const m = new RegExp(`^${name} (\\d+)`, "m").exec(text);
      expect(m, `${name} on /api/metrics`).not.toBeNull();
      return Number(m![1]);
    };
    const blocker = new pg.Client({ connectionString: inject("databaseUrl") });
    await blocker.connect();
    try {
      await create(agents[0]); // the rules are loaded
      const loads = await metric("countersign_policy_rule_set_loads_total");
      const inFlight = await metric("countersign_calls_in_flight");
      // A policy change; then the reload it causes is held (the rules table is locked), and 40 creates arrive meanwhile.
      await setRuleEnabled({ ruleId, enabled: false, actor: "test" });
      await blocker.query("BEGIN");
      await blocker.query("LOCK TABLE policy_rules IN ACCESS EXCLUSIVE MODE");
      let answers: Promise<Response>[] = [];
      try {
        answers = Array.from({ length: 40 }, (_, i) => createRequestRaw(agents[i % agents.length], sampleRequest()));
        for (let i = 0; i < 400 && (await metric("countersign_calls_in_flight")) < inFlight + 40; i++) await new Promise((r) => setTimeout(r, 25));
      } finally {
        await blocker.query("COMMIT");
      }
      expect((await Promise.all(answers)).map((r) => r.status)).toEqual(answers.map(() => 201));
      // One load served them all (other suites' policy changes may add a few); before the fix, each call started its own.
      expect((await metric("countersign_policy_rule_set_loads_total")) - loads).toBeLessThan(10);
    } finally {
      await blocker.end();
      await deleteRule({ ruleId, actor: "test" });
    }
  });

  it("simulates a draft against a sample and recent requests", async () => {
    const agent = await newAgent();
    await create(agent, { params: { amount: 50 } });
    const draft = ruleFor(agent, { effect: "deny", condition: "params.amount < 100", reason: "small" }) as any;
    const results = await simulateRule({
      draft,
      position: 0,
      sample: { action: "payments.refund", params: { amount: 10 }, agent: { name: agent.name } },
      lastN: 20,
    });
    expect(results[0]).toMatchObject({
      source: "sample",
      draft_matches: true,
      current: { effect: "require_approval" },
      with_draft: { effect: "deny", rule_name: draft.name },
      effect_changed: true,
    });
    expect(results.some((r) => r.agent_name === agent.name && r.source !== "sample" && r.draft_matches)).toBe(true);
    expect(results.filter((r) => r.agent_name !== agent.name).every((r) => !r.draft_matches)).toBe(true);
  });
});

describe("policy as code over the admin API", () => {
  async function exportJson(): Promise<any> {
    const res = await adminFetch("/api/v1/admin/policies");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/application\/json/);
    return res.json();
  }

  function put(document: unknown, query = "", init: { token?: string; yaml?: string } = {}): Promise<Response> {
    return adminFetch(`/api/v1/admin/policies${query}`, {
      method: "PUT",
      token: init.token,
      headers: { "content-type": init.yaml ? "application/yaml" : "application/json" },
      body: init.yaml ?? JSON.stringify(document),
    });
  }

  it("exports YAML on request, and imports a document: dry run first, then atomically", async () => {
    const agent = await newAgent();
    const yamlRes = await adminFetch("/api/v1/admin/policies", { headers: { accept: "application/yaml" } });
    expect(yamlRes.status).toBe(200);
    expect(yamlRes.headers.get("content-type")).toMatch(/application\/yaml/);
    expect(await yamlRes.text()).toMatch(/^version: 1\n/);

    const current = await exportJson();
    const name = unique("imported");
    const spare = unique("spare");
    const doc = {
      ...current,
      default: BUILTIN_DEFAULT,
      rules: [
        { name, agents: { names: [agent.name] }, actions: ["db.drop_database"], effect: "deny", reason: "never" },
        { name: spare, agents: { names: [agent.name] }, actions: ["db.truncate"], effect: "deny", reason: "never" },
        ...current.rules,
      ],
    };
    const before = await policyTables();
    const dry = await put(doc, "?dry_run=true");
    expect(dry.status).toBe(200);
    expect(await dry.json()).toMatchObject({ dry_run: true, added: [name, spare], changed: expect.any(Array), removed: [] });
    expect(await policyTables()).toEqual(before);

    const applied = await put(doc);
    expect(await applied.json()).toMatchObject({ dry_run: false, added: [name, spare], removed: [] });
    expect((await create(agent, { action: "db.drop_database" })).status).toBe("denied");
    const exported = await exportJson();
    expect(exported.rules[0]).toMatchObject({ name, enabled: true, effect: "deny", reason: "never" });

    // Same document again: nothing changes. Then a YAML edit: one rule changed, one removed
    // (both this test's own: other suites' rules live in the same app).
    expect(await (await put(exported)).json()).toMatchObject({ added: [], changed: [], removed: [] });
    const { rules } = exported;
    expect(rules[1].name).toBe(spare);
    const edited = { ...exported, rules: [{ ...rules[0], reason: "still never" }, ...rules.slice(2)] };
    const { stringify } = await import("yaml");
    const result = await (await put(null, "", { yaml: stringify(edited) })).json();
    expect(result).toMatchObject({ added: [], changed: [name], removed: [spare] });
    const denied = await create(agent, { action: "db.drop_database" });
    expect(denied.decision.reason).toBe("still never");
    expect(denied.policy.version).toBe(2);
  });

  it("a document with one bad rule changes nothing, and the errors name the rule and field", async () => {
    const agent = await newAgent();
    const current = await exportJson();
    const before = await policyTables();
    const doc = {
      ...current,
      rules: [
        { name: unique("good"), agents: { names: [agent.name] }, actions: ["x.*"], effect: "allow" },
        ...current.rules.slice(1),
        { name: "bad-rule", actions: ["*"], effect: "deny", condition: "params.amount >" },
      ],
    };
    const problem = await expectProblem(await put(doc), 422, "validation_failed");
    const index = doc.rules.length - 1;
    expect(problem.errors).toEqual([{ path: `rules.${index}.condition`, message: expect.stringMatching(/^rule bad-rule: .* at column \d+/) }]);
    const typed = await expectProblem(
      await put({ ...doc, rules: [...current.rules, { name: "typed", actions: ["*"], effect: "deny", condition: "action > 5" }] }),
      422,
      "validation_failed",
    );
    expect(typed.errors?.[0].message).toMatch(/rule typed: '>' cannot be applied to string and int at column 8/);
    await expectProblem(
      await put({ ...current, rules: [...current.rules, { name: "Bad Name", actions: ["*"], effect: "sometimes" }] }),
      422,
      "validation_failed",
    );
    await expectProblem(await put(null, "", { yaml: "version: 1\nrules: [\n" }), 422, "validation_failed");
    expect(await policyTables()).toEqual(before);
  });

  it("admin tokens are the only bearer credentials accepted; sessions must be admins", async () => {
    const agent = await newAgent();
    await expectProblem(await fetch(`${baseUrl()}/api/v1/admin/policies`), 401, "unauthenticated");
    await expectProblem(await agentFetch(agent.key, "/api/v1/admin/policies"), 401, "unauthenticated");
    await expectProblem(await adminFetch("/api/v1/admin/policies", { token: "csa_nottherightshape" }), 401, "unauthenticated");
    const reviewerCookie = await signIn(await newUser("reviewer"));
    await expectProblem(await reviewerFetch(reviewerCookie, "/api/v1/admin/policies"), 403, "forbidden");
    await expectProblem(await reviewerFetch(reviewerCookie, "/api/v1/admin/policies?dry_run=true", { method: "PUT", body: "version: 1\n" }), 403, "forbidden");
    const adminCookie = await signIn(await newUser("admin"));
    expect((await reviewerFetch(adminCookie, "/api/v1/admin/policies")).status).toBe(200);
    await expectProblem(
      await reviewerFetch(adminCookie, "/api/v1/admin/policies?dry_run=true", { method: "PUT", body: "version: 1\n", origin: "https://evil.example" }),
      403,
      "forbidden",
    );
    expect((await reviewerFetch(adminCookie, "/api/v1/admin/policies?dry_run=true", { method: "PUT", body: "version: 1\n" })).status).toBe(200);

    const { token, tokenId } = await createAdminToken({ name: unique("revoked"), actor: "test" });
    expect((await adminFetch("/api/v1/admin/policies", { token })).status).toBe(200);
    await revokeAdminToken({ tokenId, actor: "test" });
    await expectProblem(await adminFetch("/api/v1/admin/policies", { token }), 401, "unauthenticated");
    expect(adminTokenId).toBeTruthy();
  });

  it("bodies over 64 KiB are refused before parsing", async () => {
    await expectProblem(await put(null, "", { yaml: `# ${"x".repeat(70 * 1024)}` }), 413, "payload_too_large");
  });
});

describe("audit", () => {
  it("every policy change leaves an audit event and the chain stays intact", async () => {
    const agent = await newAgent();
    const { ruleId } = await createRule({ definition: ruleFor(agent, { effect: "allow" }), actor: "user:usr_test" });
    await setRuleEnabled({ ruleId, enabled: false, actor: "user:usr_test" });
    await deleteRule({ ruleId, actor: "user:usr_test" });
    const events = await db()
      .selectFrom("auditEvents")
      .select(["type", "data"])
      .where("type", "like", "policy.%")
      .where("actor", "=", "user:usr_test")
      .orderBy("id")
      .execute();
    const mine = events.filter((e) => (e.data as { rule_id?: string }).rule_id === ruleId);
    expect(mine.map((e) => e.type)).toEqual(["policy.rule_created", "policy.rule_updated", "policy.rule_deleted"]);
    expect(mine[1].data).toMatchObject({ before: { enabled: true }, after: { enabled: false } });
    const imports = await db().selectFrom("auditEvents").select("id").where("type", "=", "policy.imported").where("actor", "like", "admin\\_token:%").execute();
    expect(imports.length).toBeGreaterThan(0);
    await awaitSealed();
    expect((await verifyChain()).ok).toBe(true);
  });
});
