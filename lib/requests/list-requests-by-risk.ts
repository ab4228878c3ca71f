import "server-only";
import { prisma, pool } from "../db.ts";
import { AppError } from "../errors.ts";
import type { ListRequestsOptions } from "./list-requests.ts";
import { REQUEST_INCLUDE, type StoredRequest } from "./serialize-request.ts";

// The same filters as listRequests' `statusWhere`, in SQL: effective status,
// so an overdue pending request is expired here too.
const STATUS_SQL: Record<string, (now: string) => string> = {
  pending: (now) => `r.status = 'pending' AND r.expires_at > ${now}`,
  expired: (now) => `(r.status = 'expired' OR (r.status = 'pending' AND r.expires_at <= ${now}))`,
  decided: (now) => `(r.status <> 'pending' OR r.expires_at <= ${now})`,
};

const SCORE = "COALESCE((r.risk ->> 'score')::int, 0)";

function decodeCursor(cursor: string): { score: number; id: string } {
  const m = /^(\d{1,3}):(req_[0-9a-z]{26})$/.exec(Buffer.from(cursor, "base64url").toString("utf8"));
  if (!m) throw new AppError("validation_failed", "cursor is not valid", { errors: [{ path: "cursor", message: "invalid cursor" }] });
  return { score: Number(m[1]), id: m[2] };
}

/**
 * Highest risk score first, newest first among equals; keyset-paginated on
 * (score, id). Ids are chosen in SQL (the score lives in the `risk` column),
 * then loaded with their votes and grant like every other list.
 */
export async function listRequestsByRisk(o: ListRequestsOptions): Promise<{ data: StoredRequest[]; nextCursor: string | null }> {
  const values: unknown[] = [];
  const where: string[] = [];
  const param = (v: unknown) => `$${values.push(v)}`;
  if (o.status) {
    const sql = STATUS_SQL[o.status];
    where.push(sql ? sql(`${param(new Date().toISOString())}::timestamptz`) : `r.status = ${param(o.status)}::"RequestStatus"`);
  }
  if (o.agentId) where.push(`r.agent_id = ${param(o.agentId)}`);
  if (o.action) where.push(`r.action = ${param(o.action)}`);
  if (o.visibleToGroups) where.push(`(cardinality(r.reviewer_groups) = 0 OR r.reviewer_groups && ${param(o.visibleToGroups)}::text[])`);
  if (o.cursor) {
    const c = decodeCursor(o.cursor);
    where.push(`(${SCORE}, r.id) < (${param(c.score)}::int, ${param(c.id)})`);
  }
  const { rows } = await pool().query<{ id: string; score: number }>(
    `SELECT r.id, ${SCORE} AS score FROM action_requests r
      WHERE ${where.length ? where.join(" AND ") : "TRUE"}
      ORDER BY score DESC, r.id DESC LIMIT ${param(o.limit + 1)}`,
    values,
  );
  const page = rows.slice(0, o.limit);
  const loaded = new Map<string, StoredRequest>(
    (await prisma().actionRequest.findMany({ where: { id: { in: page.map((r) => r.id) } }, include: REQUEST_INCLUDE })).map((r) => [r.id, r]),
  );
  const data = page.map((r) => loaded.get(r.id)).filter((r) => r !== undefined);
  const last = page[page.length - 1];
  const nextCursor = rows.length > o.limit ? Buffer.from(`${last.score}:${last.id}`).toString("base64url") : null;
  return { data, nextCursor };
}
