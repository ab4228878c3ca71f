import { beforeAll, describe, expect, it } from "vitest";
import { agentFetch, createPending, expectValidationError, getRequest, newAgent, type TestAgent } from "../support/fixtures.ts";

type Page = { data: { id: string; agent_id: string; status: string; created_at: string }[]; next_cursor: string | null };

async function list(agent: TestAgent, query = ""): Promise<Page> {
  const res = await agentFetch(agent.key, `/api/v1/requests${query}`);
  expect(res.status).toBe(200);
  return res.json();
}

let agent: TestAgent;
let other: TestAgent;
const created: string[] = [];

beforeAll(async () => {
  agent = await newAgent();
  other = await newAgent();
  // Sequential, so creation order is certain.
  for (let i = 0; i < 7; i++) created.push((await createPending(agent, { summary: `request ${i}` })).id);
  await createPending(other);
});

describe("GET /api/v1/requests", () => {
  it("lists only the agent's own requests, newest first", async () => {
    const page = await list(agent);
    expect(page.data.map((r) => r.id)).toEqual([...created].reverse());
    expect(page.data.every((r) => r.agent_id === agent.agentId)).toBe(true);
    expect(page.next_cursor).toBeNull();
    const times = page.data.map((r) => Date.parse(r.created_at));
    expect(times).toEqual([...times].sort((a, b) => b - a));
  });

  it("honours limit and walks every page with next_cursor, without duplicates", async () => {
    const seen: string[] = [];
    const sizes: number[] = [];
    let cursor: string | null = null;
    do {
      const page: Page = await list(agent, `?limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
      sizes.push(page.data.length);
      seen.push(...page.data.map((r) => r.id));
      cursor = page.next_cursor;
    } while (cursor && sizes.length < 10);
    expect(sizes).toEqual([3, 3, 1]);
    expect(seen).toEqual([...created].reverse());
  });

  it("filters by status, counting an overdue pending request as expired", async () => {
    const fresh = await newAgent();
    const pending = await createPending(fresh);
    const overdue = await createPending(fresh, { expires_in: 1 });
    const cancelled = await createPending(fresh);
    expect((await agentFetch(fresh.key, `/api/v1/requests/${cancelled.id}/cancel`, { method: "POST" })).status).toBe(200);
    expect((await getRequest(fresh, overdue.id, 30)).status).toBe("expired");

    const ids = async (status: string) => (await list(fresh, `?status=${status}`)).data.map((r) => r.id);
    expect(await ids("pending")).toEqual([pending.id]);
    expect(await ids("expired")).toEqual([overdue.id]);
    expect(await ids("cancelled")).toEqual([cancelled.id]);
    expect(await ids("approved")).toEqual([]);
    expect((await list(fresh, "?status=expired")).data[0].status).toBe("expired");
  });

  it.each([
    ["limit=0", "limit"],
    ["limit=101", "limit"],
    ["limit=ten", "limit"],
    ["cursor=not-a-cursor", "cursor"],
    [`cursor=${Buffer.from("agt_01").toString("base64url")}`, "cursor"],
    ["status=pending,approved", "status"],
    ["sort=asc", "sort"],
  ])("refuses ?%s with 422", async (query, field) => {
    await expectValidationError(await agentFetch(agent.key, `/api/v1/requests?${query}`), field);
  });
});
