import { AppError } from "@/lib/errors";
import type { AdminPrincipal } from "@/lib/http/with-admin";
import { withAdmin } from "@/lib/http/with-admin";
import type { EventFilter } from "@/lib/audit/query-events";

/**
 * The audit endpoints: an admin's or auditor's session, or an admin token.
 * Reads with a session are refused when the browser says the call is
 * cross-site (`Sec-Fetch-Site`), so another site cannot start an export or a
 * verification with an auditor's cookies; writes already need our `Origin`.
 */
export function withAuditAccess<P = Record<string, never>>(
  handler: (req: Request, ctx: { admin: AdminPrincipal; params: P }) => Promise<Response>,
  roles: ("admin" | "auditor")[] = ["admin", "auditor"],
) {
  return withAdmin<P>(async (req, ctx) => {
    if (ctx.admin.kind === "user" && req.headers.get("sec-fetch-site") === "cross-site") {
      throw new AppError("forbidden", "cross-site requests are not allowed");
    }
    return handler(req, ctx);
  }, { roles });
}

/** The API's filter query (already validated) as the domain's filter. */
export function toFilter(q: { since?: string; until?: string; actor?: string; type?: string; request?: string; agent?: string }): EventFilter {
  return {
    since: q.since ? new Date(q.since) : undefined,
    until: q.until ? new Date(q.until) : undefined,
    actor: q.actor,
    type: q.type,
    requestId: q.request,
    agentId: q.agent,
  };
}
