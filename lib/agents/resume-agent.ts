import "server-only";
import { appendEvent } from "../audit/append-event.ts";
import { prisma } from "../db.ts";
import { AppError } from "../errors.ts";
import { lockAgent, type AgentRef } from "./find-agent.ts";

export type ResumeAgentOptions = AgentRef & { reason?: string | null; actor: string };

/** Lets a suspended agent's keys work again. Requests cancelled by the suspension stay cancelled. */
export async function resumeAgent(o: ResumeAgentOptions): Promise<{ agentId: string; name: string; status: "active" }> {
  return prisma().$transaction(async (tx) => {
    const agent = await lockAgent(tx, o);
    if (agent.status !== "suspended") throw new AppError("conflict", `agent ${agent.name} is ${agent.status}, not suspended`);
    await tx.agent.update({ where: { id: agent.id }, data: { status: "active" } });
    await appendEvent(tx, {
      type: "agent.resumed",
      actor: o.actor,
      agentId: agent.id,
      data: { name: agent.name, reason: o.reason?.trim() || null, before: { status: agent.status }, after: { status: "active" } },
    });
    return { agentId: agent.id, name: agent.name, status: "active" as const };
  });
}
