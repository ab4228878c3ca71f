import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeHub } from "../../lib/events/hub.ts";
import { createPending, decide, newAgent, newUser, reviewerFetch, signIn, unique } from "../support/fixtures.ts";

// The single-request view carries the same agent's last approved request for
// the same action, so a reviewer can see what changed since.

let cookie: string;
beforeAll(async () => {
  cookie = await signIn(await newUser("reviewer"));
});
afterAll(async () => {
  await closeHub();
});

async function view(id: string): Promise<any> {
  const res = await reviewerFetch(cookie, `/api/v1/review/requests/${id}`);
  expect(res.status).toBe(200);
  return res.json();
}

describe("previous_approval on the reviewer's view", () => {
  it("is the newest earlier approval of the same agent and action, never a denial, another action, another agent or a later one", async () => {
    const agent = await newAgent();
    const other = await newAgent();
    const action = `${unique("prev").replace(/[^a-z0-9]/g, "")}.refund`;
    const make = async (a = agent, amount = 1, act = action) => (await createPending(a, { action: act, params: { amount } })).id;

    const first = await make(agent, 100);
    expect((await view(first)).previous_approval).toBeNull();
    expect((await decide(cookie, first, "approve", "ok")).status).toBe(200);

    const denied = await make(agent, 200);
    expect((await decide(cookie, denied, "deny", "no")).status).toBe(200);
    const elsewhere = await make(agent, 300, `${action}x`);
    expect((await decide(cookie, elsewhere, "approve", "ok")).status).toBe(200);
    const otherAgents = await make(other, 400);
    expect((await decide(cookie, otherAgents, "approve", "ok")).status).toBe(200);

    const current = await make(agent, 500);
    const later = await make(agent, 600);
    expect((await decide(cookie, later, "approve", "ok")).status).toBe(200);

    const item = await view(current);
    expect(item.previous_approval).toMatchObject({ id: first, params: { amount: 100 } });
    expect(typeof item.previous_approval.decided_at).toBe("string");
    // Lists leave it out (it is one more read per item).
    const list = await (await reviewerFetch(cookie, `/api/v1/review/requests?status=pending&action=${action}`)).json();
    expect(list.data.find((r: any) => r.id === current)).not.toHaveProperty("previous_approval");
  });
});
