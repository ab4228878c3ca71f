import type { AgentObject } from "../schemas/admin-objects.ts";

/*
 * What a bulk suspend or resume will do, computed in the browser from the
 * agent list the console already holds, by the same rules as the server
 * (lib/agents/agent-selector.ts): retired agents are never matched; a suspend
 * changes active agents and skips suspended ones, a resume the reverse.
 */

export type BulkAction = "suspend" | "resume";
export type BulkChoice = { tag: string } | { all: true };
type ListedAgent = Pick<AgentObject, "status" | "tags" | "requests">;

export interface BulkPreview {
  /** Agents the call would change. */
  changes: number;
  /** Matched agents already in the target status. */
  skipped: number;
  /** Pending requests the changed agents hold (a suspend cancels them). */
  pendingRequests: number;
}

export function bulkPreview(agents: readonly ListedAgent[], action: BulkAction, choice: BulkChoice): BulkPreview {
  const from = action === "suspend" ? "active" : "suspended";
  let changes = 0;
  let skipped = 0;
  let pendingRequests = 0;
  for (const a of agents) {
    if (a.status === "retired" || ("tag" in choice && !a.tags.includes(choice.tag))) continue;
    if (a.status === from) {
      changes++;
      pendingRequests += a.requests.pending;
    } else skipped++;
  }
  return { changes, skipped, pendingRequests };
}

/** The tags of agents a bulk call can match (not retired), sorted. */
export function bulkTags(agents: readonly ListedAgent[]): string[] {
  return [...new Set(agents.filter((a) => a.status !== "retired").flatMap((a) => a.tags))].sort();
}
