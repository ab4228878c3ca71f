import "server-only";
import { AppError } from "../errors.ts";
import { isId } from "../ids.ts";
import { readStoredRequest } from "./request-rows.ts";
import type { StoredRequest } from "./serialize-request.ts";

/**
 * An agent reads one of its own requests. Another agent's request answers
 * exactly as a missing one does, so ids reveal nothing across agents.
 * `wokenUp`: a long-wait re-reading after a change woke it (lib/requests/request-rows.ts).
 */
export async function getAgentRequest(agentId: string, requestId: string, o: { wokenUp?: boolean } = {}): Promise<StoredRequest> {
  const r = isId("req", requestId) ? await readStoredRequest(requestId, o) : null;
  if (!r || r.agentId !== agentId) throw new AppError("not_found", "no such request");
  return r;
}

export async function getRequestById(requestId: string): Promise<StoredRequest> {
  const r = isId("req", requestId) ? await readStoredRequest(requestId) : null;
  if (!r) throw new AppError("not_found", "no such request");
  return r;
}
