import "server-only";
import { db } from "../db.ts";
import { AppError } from "../errors.ts";
import { isId } from "../ids.ts";
import { findStoredRequest } from "./request-rows.ts";
import type { StoredRequest } from "./serialize-request.ts";

/**
 * An agent reads one of its own requests. Another agent's request answers
 * exactly as a missing one does, so ids reveal nothing across agents.
 */
export async function getAgentRequest(agentId: string, requestId: string): Promise<StoredRequest> {
  const r = isId("req", requestId) ? await findStoredRequest(db(), { id: requestId, agentId }) : null;
  if (!r) throw new AppError("not_found", "no such request");
  return r;
}

export async function getRequestById(requestId: string): Promise<StoredRequest> {
  const r = isId("req", requestId) ? await findStoredRequest(db(), { id: requestId }) : null;
  if (!r) throw new AppError("not_found", "no such request");
  return r;
}
