import "server-only";
import type { BulkSelector } from "./agent-selector.ts";
import { stopAgent, type StopAgentOptions, type StopAgentResult, type StopAgentsOptions, type StopAgentsResult, stopAgents } from "./stop-agent.ts";

export type SuspendAgentOptions = StopAgentOptions;

/**
 * The kill switch: the agent's keys get 403 `agent_suspended`, its pending
 * requests are cancelled and its unredeemed grants revoked, in one
 * transaction. `resumeAgent` lets it back in (cancelled work stays cancelled).
 */
export function suspendAgent(o: SuspendAgentOptions): Promise<StopAgentResult> {
  return stopAgent({ ...o, to: "suspended" });
}

export type SuspendAgentsOptions = Omit<StopAgentsOptions, "to" | "selector" | "containment"> & { selector: BulkSelector };

/**
 * The kill switch for many agents at once (every agent with a tag, or every
 * agent), in one transaction: as `suspendAgent` for each active one, with the
 * selector in each `agent.suspended` event; already suspended ones are skipped.
 */
export function suspendAgents(o: SuspendAgentsOptions): Promise<StopAgentsResult> {
  return stopAgents({ ...o, to: "suspended" });
}
