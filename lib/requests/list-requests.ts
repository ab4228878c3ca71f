import "server-only";
import { prisma } from "../db.ts";
import { AppError } from "../errors.ts";
import type { Prisma } from "../generated/prisma/client.ts";
import { REQUEST_INCLUDE, type StoredRequest } from "./serialize-request.ts";

/** A request status, or `decided`: every status but pending (the reviewers' history). */
export type StatusFilter = "pending" | "approved" | "denied" | "expired" | "cancelled" | "decided";

export interface ListRequestsOptions {
  agentId?: string;
  status?: StatusFilter;
  action?: string;
  limit: number;
  cursor?: string;
  /** Only requests these reviewer groups may see: those open to any reviewer, or naming one of them. */
  visibleToGroups?: string[];
}

/**
 * Status filters honour effective status: an overdue pending request lists
 * under `expired`, not `pending`, even before the sweeper has run.
 */
export function statusWhere(status: StatusFilter | undefined, now: Date): Prisma.ActionRequestWhereInput {
  if (status === "pending") return { status: "pending", expiresAt: { gt: now } };
  if (status === "expired") return { OR: [{ status: "expired" }, { status: "pending", expiresAt: { lte: now } }] };
  if (status === "decided") return { OR: [{ status: { not: "pending" } }, { status: "pending", expiresAt: { lte: now } }] };
  return status ? { status } : {};
}

function decodeCursor(cursor: string): string {
  const id = Buffer.from(cursor, "base64url").toString("utf8");
  if (!/^req_[0-9a-z]{26}$/.test(id)) {
    throw new AppError("validation_failed", "cursor is not valid", { errors: [{ path: "cursor", message: "invalid cursor" }] });
  }
  return id;
}

/** Newest first, keyset-paginated by id (ids are time-ordered), so deep pages stay fast. */
export async function listRequests(o: ListRequestsOptions): Promise<{ data: StoredRequest[]; nextCursor: string | null }> {
  const now = new Date();
  const where: Prisma.ActionRequestWhereInput = {
    AND: [
      o.agentId ? { agentId: o.agentId } : {},
      o.action ? { action: o.action } : {},
      statusWhere(o.status, now),
      o.cursor ? { id: { lt: decodeCursor(o.cursor) } } : {},
      o.visibleToGroups ? { OR: [{ reviewerGroups: { isEmpty: true } }, { reviewerGroups: { hasSome: o.visibleToGroups } }] } : {},
    ],
  };
  const rows = await prisma().actionRequest.findMany({ where, orderBy: { id: "desc" }, take: o.limit + 1, include: REQUEST_INCLUDE });
  const data = rows.slice(0, o.limit);
  const nextCursor = rows.length > o.limit ? Buffer.from(data[data.length - 1].id).toString("base64url") : null;
  return { data, nextCursor };
}

/**
 * Whether a user sees a request in the review queue and history. Reviewers
 * see requests open to any reviewer and those routed to one of their groups;
 * admins and auditors see everything (admins are still bound by the groups
 * when deciding).
 */
export function visibleToReviewer(r: { reviewerGroups: string[] }, role: string, groups: string[]): boolean {
  return role !== "reviewer" || r.reviewerGroups.length === 0 || r.reviewerGroups.some((g) => groups.includes(g));
}
