import "server-only";
import type { Row, Trx } from "../db.ts";
import { AppError } from "../errors.ts";
import { isId } from "../ids.ts";
import type { AgentRef } from "./find-agent.ts";

/** Many agents at once, for incident containment: every agent with a tag, or every agent. */
export type BulkSelector = { tag: string } | { all: true };

/** The agents a status change applies to: one (by id or name, as the console, API and CLI name them) or many. */
export type AgentSelector = AgentRef | BulkSelector;

export type SelectedAgent = Pick<Row<"agents">, "id" | "name" | "status">;

export function isBulk(s: AgentSelector): s is BulkSelector {
  return "tag" in s || "all" in s;
}

/** The selector as the audit events of a bulk change record it (`bulk: {tag: "finance"}` or `bulk: {all: true}`). */
export function bulkData(s: BulkSelector): { tag: string } | { all: true } {
  return "tag" in s ? { tag: s.tag } : { all: true };
}

/**
 * Reads the selected agents and locks their rows until the transaction ends,
 * in id order: two status changes over overlapping sets (a tag and "all", or
 * a bulk change and a single one) take their locks in the same order, so one
 * waits for the other instead of deadlocking. A bulk selector never matches
 * retired agents; a single agent is matched whatever its status (the caller
 * says why it cannot change), and a missing one is 404.
 */
export async function lockSelectedAgents(trx: Trx, selector: AgentSelector): Promise<SelectedAgent[]> {
  if ("agentId" in selector && !isId("agt", selector.agentId)) throw new AppError("not_found", "no such agent");
  let q = trx.selectFrom("agents").select(["id", "name", "status"]);
  if ("agentId" in selector) q = q.where("id", "=", selector.agentId);
  else if ("name" in selector) q = q.where("name", "=", selector.name);
  else {
    q = q.where("status", "<>", "retired");
    if ("tag" in selector) q = q.where((eb) => eb(eb.val(selector.tag), "=", eb.fn.any("tags")));
  }
  const rows = await q.orderBy("id").forUpdate().execute();
  if (!isBulk(selector) && rows.length === 0) {
    throw new AppError("not_found", "agentId" in selector ? "no such agent" : `no agent named ${selector.name}`);
  }
  return rows;
}
