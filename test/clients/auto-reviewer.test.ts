import { describe, expect, it } from "vitest";
import { autoReviewerFor, createPending, getRequest, newAgent, waitUntilDecided } from "../support/fixtures.ts";

// The stand-in reviewer that SDK, MCP and example tests rely on must itself work.
describe("test auto-reviewer", () => {
  it("approves, denies or leaves pending as the request asks, and only for its agent", async () => {
    const agent = await newAgent();
    const other = await newAgent();
    const early = await createPending(agent, { context: { labels: { test_decision: "deny" } } });
    const reviewer = await autoReviewerFor(agent);
    try {
      const approved = await createPending(agent);
      const left = await createPending(agent, { context: { labels: { test_decision: "wait" } } });
      const foreign = await createPending(other);
      const last = await createPending(agent);
      expect((await waitUntilDecided(agent, early.id)).status).toBe("denied");
      expect((await waitUntilDecided(agent, approved.id)).status).toBe("approved");
      // Events are handled in order, so once `last` is decided the two before it were seen.
      expect((await waitUntilDecided(agent, last.id)).status).toBe("approved");
      expect((await getRequest(agent, left.id)).status).toBe("pending");
      expect((await getRequest(other, foreign.id)).status).toBe("pending");
      expect(reviewer.decided.map((d) => d.id).sort()).toEqual([early.id, approved.id, last.id].sort());
    } finally {
      await reviewer.stop();
    }
  });
});
