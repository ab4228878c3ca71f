import "server-only";
import { appendEvents } from "../audit/append-event.ts";
import { transact } from "../db.ts";
import { AppError } from "../errors.ts";
import { lockAgent, type AgentRef } from "./find-agent.ts";

export type ResumeAgentOptions = AgentRef & { reason?: string | null; actor: string };

/** Lets a suspended agent's keys work again. Requests cancelled by the suspension stay cancelled. */
export async function resumeAgent(o: ResumeAgentOptions): Promise<{ agentId: string; name: string; status: "active" }> {
  return transact(async (trx) => {
    const agent = await lockAgent(trx, o);
    if (agent.status !== "suspended") throw new AppError("conflict", `agent ${agent.name} is ${agent.status}, not suspended`);
    await trx.updateTable("agents").set({ status: "active" }).where("id", "=", agent.id).execute();
    await appendEvents(trx, [
      {
        type: "agent.resumed",
        actor: o.actor,
        agentId: agent.id,
        data: { name: agent.name, reason: o.reason?.trim() || null, before: { status: agent.status }, after: { status: "active" } },
      },
    ]);
    return { agentId: agent.id, name: agent.name, status: "active" as const };
  });
}
