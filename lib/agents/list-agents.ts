import "server-only";
import { pool } from "../db.ts";
import { isId } from "../ids.ts";
import { pendingCountSql } from "../requests/pending-cap.ts";
import { liveKeySql } from "./live-key.ts";

/** One row of the agent inventory. */
export interface AgentSummary {
  id: string;
  name: string;
  description: string | null;
  ownerEmail: string | null;
  trustLevel: string;
  tags: string[];
  status: "active" | "suspended" | "retired";
  createdAt: Date;
  lastSeenAt: Date | null;
  liveKeys: number;
  pendingRequests: number;
  totalRequests: number;
}

// Counts come from the (agent_id, status, expires_at) and (agent_id, id) indexes.
const SELECT = `
  SELECT a.id, a.name, a.description, a.owner_email, a.trust_level, a.tags, a.status::text AS status,
         a.created_at, a.last_seen_at,
         (SELECT count(*) FROM agent_keys k
           WHERE k.agent_id = a.id AND ${liveKeySql("k")})::int AS live_keys,
         ${pendingCountSql("a.id")}::int AS pending_requests,
         (SELECT count(*) FROM action_requests r WHERE r.agent_id = a.id)::int AS total_requests
    FROM agents a`;

function toSummary(r: Record<string, any>): AgentSummary {
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    ownerEmail: r.owner_email,
    trustLevel: r.trust_level,
    tags: r.tags ?? [],
    status: r.status,
    createdAt: r.created_at,
    lastSeenAt: r.last_seen_at,
    liveKeys: r.live_keys,
    pendingRequests: r.pending_requests,
    totalRequests: r.total_requests,
  };
}

/** Every agent, active ones first, then by name. */
export async function listAgents(): Promise<AgentSummary[]> {
  const { rows } = await pool().query(`${SELECT} ORDER BY (a.status = 'retired'), a.name`);
  return rows.map(toSummary);
}

export async function getAgentSummary(agentId: string): Promise<AgentSummary | null> {
  if (!isId("agt", agentId)) return null;
  const { rows } = await pool().query(`${SELECT} WHERE a.id = $1`, [agentId]);
  return rows[0] ? toSummary(rows[0]) : null;
}
