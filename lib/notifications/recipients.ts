import "server-only";
import { sql } from "kysely";
import type { Queryable } from "../db.ts";
import { decisionBarrier } from "../requests/decide-request.ts";
import type { RequestFacts } from "./messages.ts";
import type { Role } from "../users/roles.ts";

/** An active user who may be emailed, with their groups and preferences. */
export interface Candidate {
  id: string;
  email: string;
  role: Role;
  groups: string[];
  emailNewRequests: boolean;
  emailReminders: boolean;
  emailEscalations: boolean;
  emailAgentAlerts: boolean;
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
export async function loadCandidates(q: Queryable): Promise<Candidate[]> {
  return q
    .selectFrom("users as u")
    .leftJoin("notificationPreferences as p", "p.userId", "u.id")
    .select((eb) => [
      "u.id",
      "u.email",
      "u.role",
      eb.fn
        .coalesce(
          eb
            .selectFrom("groupMembers as m")
            .innerJoin("groups as g", "g.id", "m.groupId")
            .select((s) => s.fn.agg<string[]>("array_agg", ["g.name"]).as("names"))
            .whereRef("m.userId", "=", "u.id"),
          sql<string[]>`'{}'`,
        )
        .as("groups"),
      // No row: every kind is on.
      eb.fn.coalesce("p.emailNewRequests", sql<boolean>`true`).as("emailNewRequests"),
      eb.fn.coalesce("p.emailReminders", sql<boolean>`true`).as("emailReminders"),
      eb.fn.coalesce("p.emailEscalations", sql<boolean>`true`).as("emailEscalations"),
      eb.fn.coalesce("p.emailAgentAlerts", sql<boolean>`true`).as("emailAgentAlerts"),
    ])
    .where("u.disabled", "=", false)
    .execute();
}

/** The `risk` column ({ score, flags }, lib/risk) is not in the generated row types (see schema.prisma). */
type StoredRisk = { flags?: { code: string; explanation: string }[] } | null;

export async function loadRequests(q: Queryable, ids: string[]): Promise<Map<string, RequestForEmail>> {
  if (ids.length === 0) return new Map();
  const rows = await q
    .selectFrom("actionRequests as r")
    .innerJoin("agents as a", "a.id", "r.agentId")
    .select((eb) => [
      "r.id",
      "r.status",
      "r.action",
      "r.resource",
      "r.summary",
      "r.justification",
      "r.params",
      "r.expiresAt",
      "r.approvalsRequired",
      "r.context",
      "r.reviewerGroups",
      "r.ownerMayDecide",
      sql<StoredRisk>`r.risk`.as("risk"),
      "a.name as agentName",
      "a.ownerEmail",
      eb.fn
        .coalesce(
          eb
            .selectFrom("votes as v")
            .select((s) => s.fn.agg<string[]>("array_agg", ["v.userId"]).as("userIds"))
            .whereRef("v.requestId", "=", "r.id"),
          sql<string[]>`'{}'`,
        )
        .as("voters"),
    ])
    .where("r.id", "=", sql<string>`any(${ids}::text[])`)
    .execute();
  return new Map(
    rows.map(({ risk, ...r }) => [
      r.id,
      { ...r, riskFlags: (risk?.flags ?? []).map((f) => ({ code: f.code, explanation: f.explanation })) } satisfies RequestForEmail,
    ]),
  );
}

/** Whether `user` may vote on `r` now (the same rules the decision itself enforces). */
export function mayDecide(r: RequestForEmail, user: Candidate): boolean {
  if (user.role === "auditor" || r.voters.includes(user.id)) return false;
  const scope = { context: r.context, agent: { ownerEmail: r.ownerEmail }, reviewerGroups: r.reviewerGroups, ownerMayDecide: r.ownerMayDecide };
  return decisionBarrier(scope, user) === null;
}
