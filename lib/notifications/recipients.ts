import "server-only";
import type pg from "pg";
import { decisionBarrier } from "../requests/decide-request.ts";
import type { NotificationPreferences } from "./preferences.ts";
import type { RequestFacts } from "./messages.ts";
import type { Role } from "../users/roles.ts";

/** An active user who may be emailed, with their groups and preferences. */
export interface Candidate extends NotificationPreferences {
  id: string;
  email: string;
  role: Role;
  groups: string[];
}

/** A pending request with what deciding who may decide it needs. */
export interface RequestForEmail extends RequestFacts {
  status: string;
  reviewerGroups: string[];
  ownerMayDecide: boolean;
  ownerEmail: string | null;
  voters: string[];
}

/** Every enabled user with their reviewer groups and email preferences (one query per dispatch batch). */
export async function loadCandidates(client: pg.PoolClient): Promise<Candidate[]> {
  const { rows } = await client.query<Candidate>({
    name: "cs_email_candidates",
    text: `SELECT u.id, u.email, u.role::text AS role,
                  COALESCE((SELECT array_agg(g.name) FROM group_members m JOIN groups g ON g.id = m.group_id WHERE m.user_id = u.id), '{}') AS groups,
                  COALESCE(p.email_new_requests, true) AS email_new_requests, COALESCE(p.email_reminders, true) AS email_reminders,
                  COALESCE(p.email_escalations, true) AS email_escalations, COALESCE(p.email_agent_alerts, true) AS email_agent_alerts
             FROM users u LEFT JOIN notification_preferences p ON p.user_id = u.id
            WHERE NOT u.disabled`,
  });
  return rows;
}

export async function loadRequests(client: pg.PoolClient, ids: string[]): Promise<Map<string, RequestForEmail>> {
  if (ids.length === 0) return new Map();
  const { rows } = await client.query({
    name: "cs_email_requests",
    text: `SELECT r.id, r.status::text AS status, r.action, r.resource, r.summary, r.justification, r.params, r.expires_at, r.approvals_required,
                  r.context, r.reviewer_groups, r.owner_may_decide, r.risk, a.name AS agent_name, a.owner_email,
                  COALESCE((SELECT array_agg(v.user_id) FROM votes v WHERE v.request_id = r.id), '{}') AS voters
             FROM action_requests r JOIN agents a ON a.id = r.agent_id
            WHERE r.id = ANY($1::text[])`,
    values: [ids],
  });
  return new Map(
    rows.map((r) => [
      r.id as string,
      {
        id: r.id,
        status: r.status,
        agentName: r.agent_name,
        action: r.action,
        resource: r.resource,
        summary: r.summary,
        justification: r.justification,
        params: r.params,
        expiresAt: r.expires_at,
        approvalsRequired: r.approvals_required,
        riskFlags: ((r.risk as { flags?: { code: string; explanation: string }[] } | null)?.flags ?? []).map((f) => ({
          code: f.code,
          explanation: f.explanation,
        })),
        context: r.context,
        reviewerGroups: r.reviewer_groups,
        ownerMayDecide: r.owner_may_decide,
        ownerEmail: r.owner_email,
        voters: r.voters,
      } satisfies RequestForEmail,
    ]),
  );
}

/** Whether `user` may vote on `r` now (the same rules the decision itself enforces). */
export function mayDecide(r: RequestForEmail, user: Candidate): boolean {
  if (user.role === "auditor" || r.voters.includes(user.id)) return false;
  const scope = { context: r.context, agent: { ownerEmail: r.ownerEmail }, reviewerGroups: r.reviewerGroups, ownerMayDecide: r.ownerMayDecide };
  return decisionBarrier(scope, user) === null;
}
