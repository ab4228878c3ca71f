import "server-only";
import { stopAgent, type StopAgentOptions, type StopAgentResult } from "./stop-agent.ts";

export type RetireAgentOptions = StopAgentOptions;

/**
 * Retires an agent for good: its keys answer 401 like unknown keys, with the
 * same cancellation and revocation as a suspension. A retired agent cannot be
 * resumed; register a new one instead.
 */
export function retireAgent(o: RetireAgentOptions): Promise<StopAgentResult> {
  return stopAgent({ ...o, to: "retired" });
}
