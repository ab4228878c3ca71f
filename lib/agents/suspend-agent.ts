import "server-only";
import { stopAgent, type StopAgentOptions, type StopAgentResult } from "./stop-agent.ts";

export type SuspendAgentOptions = StopAgentOptions;

/**
 * The kill switch: the agent's keys get 403 `agent_suspended`, its pending
 * requests are cancelled and its unredeemed grants revoked, in one
 * transaction. `resumeAgent` lets it back in (cancelled work stays cancelled).
 */
export function suspendAgent(o: SuspendAgentOptions): Promise<StopAgentResult> {
  return stopAgent({ ...o, to: "suspended" });
}
