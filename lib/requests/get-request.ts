import { db } from "../db.ts";
import { AppError } from "../errors.ts";
import { isId } from "../ids.ts";
import { REQUEST_INCLUDE, type StoredRequest } from "./serialize-request.ts";

/**
 * An agent reads one of its own requests. Another agent's request answers
 * exactly as a missing one does, so ids reveal nothing across agents.
 */
export async function getAgentRequest(agentId: string, requestId: string): Promise<StoredRequest> {
  if (!isId("req", requestId)) throw new AppError("not_found", "no such request");
  const r = await db().actionRequest.findUnique({ where: { id: requestId }, include: REQUEST_INCLUDE });
  if (!r || r.agentId !== agentId) throw new AppError("not_found", "no such request");
  return r;
}

export async function getRequestById(requestId: string): Promise<StoredRequest> {
  if (!isId("req", requestId)) throw new AppError("not_found", "no such request");
  const r = await db().actionRequest.findUnique({ where: { id: requestId }, include: REQUEST_INCLUDE });
  if (!r) throw new AppError("not_found", "no such request");
  return r;
}
