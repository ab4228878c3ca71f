import "server-only";
import type { Row, Trx } from "../db.ts";
import { AppError } from "../errors.ts";
import { isId } from "../ids.ts";

/** An agent named by id (`agt_…`) or by name, as the console, the API and the CLI name them. */
export type AgentRef = { agentId: string } | { name: string };

export type LockedAgent = Pick<Row<"agents">, "id" | "name" | "status">;

/**
 * Reads the agent and locks its row until the transaction ends, so two status
 * changes of one agent (a suspend racing a resume) apply one after the other.
 */
export async function lockAgent(trx: Trx, ref: AgentRef): Promise<LockedAgent> {
  const agent =
    "agentId" in ref && !isId("agt", ref.agentId)
      ? undefined
      : await trx
          .selectFrom("agents")
          .select(["id", "name", "status"])
          .where("agentId" in ref ? "id" : "name", "=", "agentId" in ref ? ref.agentId : ref.name)
          .forUpdate()
          .executeTakeFirst();
  if (!agent) throw new AppError("not_found", "agentId" in ref ? "no such agent" : `no agent named ${ref.name}`);
  return agent;
}
