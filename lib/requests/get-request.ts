import "server-only";
import { pool } from "../db.ts";
import { AppError } from "../errors.ts";
import { isId } from "../ids.ts";
import { selectStoredRequest } from "./request-rows.ts";
import type { StoredRequest } from "./serialize-request.ts";

/**
 * An agent reads one of its own requests. Another agent's request answers
 * exactly as a missing one does, so ids reveal nothing across agents.
 */
export async function getAgentRequest(agentId: string, requestId: string): Promise<StoredRequest> {
  const r = isId("req", requestId) ? await selectStoredRequest(pool(), "r.id = $1 AND r.agent_id = $2", [requestId, agentId]) : null;
  if (!r) throw new AppError("not_found", "no such request");
  return r;
}

export async function getRequestById(requestId: string): Promise<StoredRequest> {
  const r = isId("req", requestId) ? await selectStoredRequest(pool(), "r.id = $1", [requestId]) : null;
  if (!r) throw new AppError("not_found", "no such request");
  return r;
}
