import "server-only";
import { sql } from "kysely";
import { db } from "../db.ts";
import { isId } from "../ids.ts";
import { liveKey } from "./live-key.ts";

/** One row of the agent inventory. */
export type AgentSummary = Awaited<ReturnType<typeof listAgents>>[number];

// Counts come from the (agent_id, status, expires_at) and (agent_id, id) indexes.
function summaries() {
  return db()
    .selectFrom("agents as a")
    .select((eb) => [
      "a.id",
      "a.name",
      "a.description",
      "a.ownerEmail",
      "a.trustLevel",
      "a.tags",
      "a.status",
      "a.createdAt",
      "a.lastSeenAt",
      eb
        .selectFrom("agentKeys as k")
        .select((c) => c.cast<number>(c.fn.countAll(), "integer").as("n"))
        .whereRef("k.agentId", "=", "a.id")
        .where(liveKey)
        .$asScalar()
        .as("liveKeys"),
      // A pending request is one still waiting: pending and not yet past its expiry.
      eb
        .selectFrom("actionRequests as r")
        .select((c) => c.cast<number>(c.fn.countAll(), "integer").as("n"))
        .whereRef("r.agentId", "=", "a.id")
        .where("r.status", "=", "pending")
        .where("r.expiresAt", ">", sql<Date>`now()`)
        .$asScalar()
        .as("pendingRequests"),
      eb
        .selectFrom("actionRequests as r")
        .select((c) => c.cast<number>(c.fn.countAll(), "integer").as("n"))
        .whereRef("r.agentId", "=", "a.id")
        .$asScalar()
        .as("totalRequests"),
    ]);
}

/** Every agent, active ones first, then by name. */
export function listAgents() {
  return summaries()
    .orderBy((eb) => eb("a.status", "=", "retired"))
    .orderBy("a.name")
    .execute();
}

export async function getAgentSummary(agentId: string): Promise<AgentSummary | null> {
  if (!isId("agt", agentId)) return null;
  return (await summaries().where("a.id", "=", agentId).executeTakeFirst()) ?? null;
}

/** Several agents by id (one statement whatever their number), keyed by id. */
export async function getAgentSummaries(agentIds: string[]): Promise<Map<string, AgentSummary>> {
  if (agentIds.length === 0) return new Map();
  const rows = await summaries()
    .where("a.id", "=", (eb) => eb.fn.any(eb.val(agentIds)))
    .execute();
  return new Map(rows.map((r) => [r.id, r]));
}
