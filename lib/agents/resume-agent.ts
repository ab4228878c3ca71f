import "server-only";
import type { Kysely } from "kysely";
import { appendEvents } from "../audit/append-event.ts";
import { type DB, transact } from "../db.ts";
import { AppError } from "../errors.ts";
import { type AgentSelector, bulkData, isBulk, lockSelectedAgents } from "./agent-selector.ts";
import type { AgentRef } from "./find-agent.ts";
import type { SkippedAgent } from "./stop-agent.ts";

export type ResumeAgentOptions = AgentRef & { reason?: string | null; actor: string };

export interface ResumedAgent {
  agentId: string;
  name: string;
  status: "active";
}

export interface ResumeAgentsOptions {
  selector: AgentSelector;
  reason?: string | null;
  actor: string;
  /** The query builder to run on (tests: a scratch database); the app's by default. */
  on?: Kysely<DB>;
}

const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/**
 * Lets suspended agents' keys work again, one agent or a set (a tag, or all:
 * the incident is over), in one transaction: rows locked in id order as for
 * a suspension, one `agent.resumed` event each. Requests cancelled by the
 * suspension stay cancelled. One agent that is not suspended is a 409
 * conflict; a bulk selector skips active agents and never matches retired ones.
 */
export async function resumeAgents(o: ResumeAgentsOptions): Promise<{ resumed: ResumedAgent[]; skipped: SkippedAgent[] }> {
  const reason = o.reason?.trim() || null;
  const bulk = isBulk(o.selector) ? bulkData(o.selector) : null;
  return transact(async (trx) => {
    const selected = await lockSelectedAgents(trx, o.selector);
    if (!bulk && selected[0].status !== "suspended") {
      throw new AppError("conflict", `agent ${selected[0].name} is ${selected[0].status}, not suspended`);
    }
    const targets = selected.filter((a) => a.status === "suspended");
    const skipped = selected.filter((a) => a.status !== "suspended").map((a) => ({ agentId: a.id, name: a.name, status: a.status }));
    if (targets.length > 0) {
      const ids = targets.map((a) => a.id);
      await trx
        .updateTable("agents")
        .set({ status: "active" })
        .where("id", "=", (eb) => eb.fn.any(eb.val(ids)))
        .execute();
      await appendEvents(
        trx,
        targets.map((a) => ({
          type: "agent.resumed",
          actor: o.actor,
          agentId: a.id,
          data: { name: a.name, reason, before: { status: a.status }, after: { status: "active" }, ...(bulk ? { bulk } : {}) },
        })),
      );
    }
    return {
      resumed: targets.map((a) => ({ agentId: a.id, name: a.name, status: "active" as const })).sort(byName),
      skipped: skipped.sort(byName),
    };
  }, o.on);
}

/** Lets a suspended agent's keys work again. Requests cancelled by the suspension stay cancelled. */
export async function resumeAgent(o: ResumeAgentOptions): Promise<ResumedAgent> {
  const selector: AgentRef = "agentId" in o ? { agentId: o.agentId } : { name: o.name };
  const { resumed } = await resumeAgents({ selector, reason: o.reason, actor: o.actor });
  return resumed[0];
}
