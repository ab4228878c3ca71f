import "server-only";
import type { Tx } from "../db.ts";
import { AppError } from "../errors.ts";
import { isId } from "../ids.ts";

/** An agent named by id (`agt_…`) or by name, as the console, the API and the CLI name them. */
export type AgentRef = { agentId: string } | { name: string };

export interface LockedAgent {
  id: string;
  name: string;
  status: "active" | "suspended" | "retired";
}

/**
 * Reads the agent and locks its row until the transaction ends, so two status
 * changes of one agent (a suspend racing a resume) apply one after the other.
 */
export async function lockAgent(tx: Tx, ref: AgentRef): Promise<LockedAgent> {
  const rows =
    "agentId" in ref
      ? isId("agt", ref.agentId)
        ? await tx.$queryRaw<LockedAgent[]>`SELECT id, name, status::text AS status FROM agents WHERE id = ${ref.agentId} FOR UPDATE`
        : []
      : await tx.$queryRaw<LockedAgent[]>`SELECT id, name, status::text AS status FROM agents WHERE name = ${ref.name} FOR UPDATE`;
  const agent = rows[0];
  if (!agent) throw new AppError("not_found", "agentId" in ref ? "no such agent" : `no agent named ${ref.name}`);
  return agent;
}
