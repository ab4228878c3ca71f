import type http from "node:http";
import pg from "pg";
import { createAgent } from "../lib/agents/create-agent.ts";
import { createUser } from "../lib/users/create-user.ts";
import { randomSecret } from "../lib/ids.ts";
import { mapLimit } from "./stats.ts";
import { parseJson, request } from "./http.ts";
import { EXAMPLE_CONTEXT } from "../lib/schemas/examples.ts";
import { passwordSignIn } from "../test/support/password-sign-in.ts";

export interface BenchAgent {
  agentId: string;
  name: string;
  key: string;
}

export interface Reviewer {
  email: string;
  password: string;
}

export interface SeedOptions {
  /** Agent names are `<prefix>-agent-NN`, the reviewer `<prefix>-reviewer@example.test` (default `bench`). */
  prefix?: string;
  /** Tags of agent i (default: `["bench"]` for every agent). */
  tags?: (i: number) => string[];
}

/** Agents and a reviewer, created through the domain functions against the bench database. */
export async function seed(agentCount: number, o: SeedOptions = {}): Promise<{ agents: BenchAgent[]; reviewer: Reviewer }> {
  const prefix = o.prefix ?? "bench";
  const agents: BenchAgent[] = [];
  for (let i = 0; i < agentCount; i++) {
    const name = `${prefix}-agent-${String(i).padStart(2, "0")}`;
    const tags = o.tags?.(i) ?? ["bench"];
    const { agentId, key } = await createAgent({ name, ownerEmail: null, description: `${prefix} load`, tags, actor: prefix });
    agents.push({ agentId, name, key });
  }
  const reviewer = { email: `${prefix}-reviewer@example.test`, password: randomSecret(18) };
  await createUser({ email: reviewer.email, role: "reviewer", name: `${prefix} reviewer`, password: reviewer.password, actor: prefix });
  return { agents, reviewer };
}

/** A realistic agent request, close to the example in the API contract. */
export function requestBody(n = 0): Record<string, unknown> {
  return {
    action: "payments.refund",
    resource: `customer:cus_${1000 + (n % 9000)}`,
    params: { amount: 500, currency: "USD", invoice: `in_${n}`, lines: [{ sku: "plan-pro", qty: 1 }] },
    summary: "Refund $500 to customer for a duplicate charge",
    justification: "Ticket #4521: the customer was charged twice on 2026-11-20; the second charge is a duplicate of the first.",
    context: EXAMPLE_CONTEXT,
    expires_in: 900,
  };
}

/** Signs the reviewer in as the browser form would; returns the session cookie. */
export async function signIn(baseUrl: string, user: Reviewer): Promise<string> {
  const cookie = await passwordSignIn(baseUrl, user);
  if (!cookie) throw new Error(`reviewer sign-in failed for ${user.email}`);
  return cookie;
}

/** Creates `count` pending requests through the API, spread over the agents. */
export async function createPendingRequests(
  baseUrl: string,
  agents: BenchAgent[],
  count: number,
  agent: http.Agent,
  concurrency = 20,
): Promise<PendingRequest[]> {
  return mapLimit(
    Array.from({ length: count }, (_, i) => i),
    concurrency,
    async (i) => {
      const owner = agents[i % agents.length];
      const res = await request(`${baseUrl}/api/v1/requests`, {
        method: "POST",
        agent,
        headers: { authorization: `Bearer ${owner.key}` },
        body: requestBody(i),
      });
      if (res.status !== 201) throw new Error(`create failed: ${res.status} ${res.body.slice(0, 300)}`);
      const body = parseJson<{ id: string; status: string }>(res);
      if (body.status !== "pending") throw new Error(`expected a pending request, got ${body.status}`);
      return { id: body.id, agent: owner };
    },
  );
}

/** POST a reviewer decision (approve). */
export function approve(baseUrl: string, cookie: string, requestId: string, agent: http.Agent) {
  return request(`${baseUrl}/api/v1/requests/${requestId}/decisions`, {
    method: "POST",
    agent,
    headers: { cookie, origin: baseUrl },
    body: { decision: "approve", reason: "benchmark approval" },
  });
}

export interface PendingRequest {
  id: string;
  agent: BenchAgent;
}

/**
 * Pending requests already in the database (the throughput phases leave
 * thousands, all made through the API), at most `perAgent` per agent (the
 * app holds at most COUNTERSIGN_MAX_WAITS_PER_AGENT long-waits per agent,
 * 50 by default), spread over the agents, so the long-wait phases need not
 * spend minutes creating their own.
 */
export async function pendingFromDatabase(databaseUrl: string, agents: BenchAgent[], limit: number, perAgent = 50): Promise<PendingRequest[]> {
  const byId = new Map(agents.map((a) => [a.agentId, a]));
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ id: string; agent_id: string }>(
      `SELECT id, agent_id FROM (
         SELECT id, agent_id, row_number() OVER (PARTITION BY agent_id ORDER BY created_at DESC) AS k
           FROM action_requests WHERE status = 'pending' AND expires_at > now() + interval '3 minutes') r
        WHERE k <= $2 ORDER BY k, agent_id LIMIT $1`,
      [limit, perAgent],
    );
    return rows.filter((r) => byId.has(r.agent_id)).map((r) => ({ id: r.id, agent: byId.get(r.agent_id)! }));
  } finally {
    await client.end();
  }
}

/** `total` distinct pending requests: from the database first, then made through the API. */
export async function pendingPool(baseUrl: string, databaseUrl: string, agents: BenchAgent[], total: number, agent: http.Agent) {
  const stock = await pendingFromDatabase(databaseUrl, agents, total);
  const missing = total - stock.length;
  if (missing > 0) stock.push(...(await createPendingRequests(baseUrl, agents, missing, agent, 50)));
  return { requests: stock, fromDatabase: total - Math.max(0, missing), created: Math.max(0, missing) };
}
