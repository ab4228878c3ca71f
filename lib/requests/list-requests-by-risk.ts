import "server-only";
import { sql } from "kysely";
import { db, type Queryable, type Row } from "../db.ts";
import { AppError } from "../errors.ts";
import { filterConditions, type ListRequestsOptions, notOverdue, type StatusFilter } from "./list-requests.ts";
import { REQUEST_COLUMNS, withVotesAndGrants } from "./request-rows.ts";
import type { StoredRequest } from "./serialize-request.ts";

/**
 * The risk score a request sorts by: 0 without risk signals. Spelled as the
 * index `action_requests_status_risk_score_idx` (status, score, id) spells
 * it (migration 20261202140000_reader_indexes), so the planner reads the
 * order from the index instead of sorting the table.
 */
const SCORE = sql<number>`coalesce((${sql.ref("actionRequests.risk")} ->> 'score')::int, 0)`;

type Status = Row<"actionRequests">["status"];
/** One stored status, and for pending whether it is overdue (effective status: expired) or not. */
type Branch = { status: Status; overdue?: boolean };

const DECIDED: Branch[] = [{ status: "approved" }, { status: "denied" }, { status: "expired" }, { status: "cancelled" }, { status: "pending", overdue: true }];

/** The stored statuses a filter covers, each read in score order from the index on its own. */
function branches(status: StatusFilter | undefined): Branch[] {
  if (status === undefined) return [...DECIDED.slice(0, 4), { status: "pending" }];
  if (status === "pending") return [{ status: "pending", overdue: false }];
  if (status === "expired") return [{ status: "expired" }, { status: "pending", overdue: true }];
  if (status === "decided") return DECIDED;
  return [{ status }];
}

function decodeCursor(cursor: string): { score: number; id: string } {
  const m = /^(\d{1,3}):(req_[0-9a-z]{26})$/.exec(Buffer.from(cursor, "base64url").toString("utf8"));
  if (!m) throw new AppError("validation_failed", "cursor is not valid", { errors: [{ path: "cursor", message: "invalid cursor" }] });
  return { score: Number(m[1]), id: m[2] };
}

/**
 * Highest risk score first, newest first among equals; keyset-paginated on
 * (score, id), with the same filters as `listRequests` (effective status:
 * an overdue pending request is expired here too).
 */
export async function listRequestsByRisk(o: ListRequestsOptions, q: Queryable = db()): Promise<{ data: StoredRequest[]; nextCursor: string | null }> {
  const now = new Date();
  const after = o.cursor ? decodeCursor(o.cursor) : undefined;
  // One index range per stored status, each ordered by (score, id) and cut at
  // the page size; then the few candidates are merged. An `OR` over statuses
  // (decided, expired, no filter) would sort every matching row instead.
  const rest: ListRequestsOptions = { ...o, status: undefined };
  const members = branches(o.status).map((b) => {
    const matching = q
      .selectFrom("actionRequests")
      .select(REQUEST_COLUMNS)
      .select(SCORE.as("score"))
      .where((eb) =>
        eb.and([
          eb("actionRequests.status", "=", b.status),
          ...(b.overdue === undefined ? [] : [b.overdue ? eb("actionRequests.expiresAt", "<=", now) : notOverdue(eb, now)]),
          ...filterConditions(eb, rest, now),
          ...(after ? [eb(eb.refTuple(SCORE, "actionRequests.id"), "<", eb.tuple(sql<number>`${after.score}::int`, after.id))] : []),
        ]),
      );
    // Overdue pending requests are few (the sweeper expires them): found by
    // (status, expires_at) and then sorted, not by walking every pending
    // request in score order (OFFSET 0 keeps the order out of that scan).
    // Otherwise the subquery is flattened and the order read from the index.
    const source = (b.overdue ? matching.offset(0) : matching).as("matching");
    return q
      .selectFrom(
        q
          .selectFrom(source)
          .selectAll()
          .orderBy("matching.score", "desc")
          .orderBy("matching.id", "desc")
          .limit(o.limit + 1)
          .as("branch"),
      )
      .selectAll();
  });
  const rows = await q
    .selectFrom(members.reduce((all, m) => all.unionAll(m)).as("candidates"))
    .selectAll()
    .orderBy("candidates.score", "desc")
    .orderBy("candidates.id", "desc")
    .limit(o.limit + 1)
    .execute();
  const page = rows.slice(0, o.limit);
  const data = await withVotesAndGrants(
    q,
    page.map(({ score: _, ...r }) => r),
  );
  const last = page[page.length - 1];
  const nextCursor = rows.length > o.limit ? Buffer.from(`${last.score}:${last.id}`).toString("base64url") : null;
  return { data, nextCursor };
}
