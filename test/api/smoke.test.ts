import { describe, expect, it } from "vitest";
import { agentFetch, createPending, decide, newAgent, newUser, signIn } from "../support/fixtures.ts";

describe("the approval loop over HTTP", () => {
  it("creates, approves, waits and redeems exactly once", async () => {
    const agent = await newAgent();
    const reviewer = await newUser("reviewer");
    const cookie = await signIn(reviewer);
    const { id } = await createPending(agent);
    const waiting = agentFetch(agent.key, `/api/v1/requests/${id}?wait=30`).then((r) => r.json());
    const decided = await decide(cookie, id, "approve", "looks right");
    expect(decided.status).toBe(200);
    const answer = await waiting;
    expect(answer.status).toBe("approved");
    expect(answer.grant.token).toMatch(/^ey/);
  });
});
