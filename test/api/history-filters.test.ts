import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { awaitSealed } from "../../lib/audit/sealer.ts";
import { closeHub } from "../../lib/events/hub.ts";
import { createPending, decide, expectValidationError, newAgent, newUser, reviewerFetch, signIn, type TestUser, unique } from "../support/fixtures.ts";
import { createUser } from "../../lib/users/create-user.ts";

let admin: string;
let decider: TestUser & { name: string };
let deciderCookie: string;

beforeAll(async () => {
  admin = await signIn(await newUser("admin"));
  const name = `Ana ${unique("decider")}`;
  const email = `${unique("ana")}@example.test`;
  const { userId } = await createUser({ email, role: "reviewer", name, password: "ana's password 123", actor: "test" });
  decider = { id: userId, email, password: "ana's password 123", name };
  deciderCookie = await signIn(decider);
});
afterAll(async () => {
  await closeHub();
});

const history = async (query: string) => {
  const res = await reviewerFetch(admin, `/api/v1/review/requests?status=decided&${query}`);
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()).data as any[];
};

describe("history for people", () => {
  it("says who decided (name and email) and why, and filters by agent and by day", async () => {
    const agent = await newAgent();
    const other = await newAgent();
    const { id } = await createPending(agent, { summary: "history filters: denied" });
    const { id: otherId } = await createPending(other, { summary: "history filters: other agent" });
    expect((await decide(deciderCookie, id, "deny", "no ticket for this refund")).status).toBe(200);
    expect((await decide(deciderCookie, otherId, "approve", "fine")).status).toBe(200);

    const mine = await history(`agent=${agent.name}`);
    expect(mine.map((r) => r.id)).toEqual([id]);
    expect(mine[0].decided_by).toEqual({ name: decider.name, email: decider.email });
    expect(mine[0].decision).toMatchObject({ status: "denied", reason: "no ticket for this refund", by: `user:${decider.id}` });

    const today = new Date().toISOString().slice(0, 10);
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    expect((await history(`agent=${agent.name}&from=${today}&to=${today}`)).map((r) => r.id)).toEqual([id]);
    expect(await history(`agent=${agent.name}&from=${tomorrow}`)).toEqual([]);
    expect(await history(`agent=${agent.name}&to=${yesterday}`)).toEqual([]);
    expect(await history("agent=no-such-agent-anywhere")).toEqual([]);
  });

  it("refuses a malformed day", async () => {
    await expectValidationError(await reviewerFetch(admin, "/api/v1/review/requests?status=decided&from=yesterday"), "from");
  });

  it("names the audit log's actors and filters the log by a person's name", async () => {
    const agent = await newAgent();
    const { id } = await createPending(agent, { summary: "audit names" });
    expect((await decide(deciderCookie, id, "approve", "ok")).status).toBe(200);
    await awaitSealed();
    const res = await reviewerFetch(admin, `/api/v1/admin/audit/events?request=${id}`);
    expect(res.status).toBe(200);
    const page = await res.json();
    expect(page.actors[`user:${decider.id}`]).toBe(`${decider.name} (${decider.email})`);
    expect(page.actors[`agent:${agent.agentId}`]).toBe(`agent ${agent.name}`);

    const byName = await reviewerFetch(admin, `/api/v1/admin/audit/events?who=${encodeURIComponent(decider.name.toUpperCase())}&request=${id}`);
    const events = (await byName.json()).data as { actor: string; type: string }[];
    expect(events.length).toBeGreaterThan(0);
    expect(events.every((e) => e.actor === `user:${decider.id}`)).toBe(true);
    const nobody = await reviewerFetch(admin, `/api/v1/admin/audit/events?who=${unique("nobody")}`);
    expect((await nobody.json()).data).toEqual([]);
  });
});
