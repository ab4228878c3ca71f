import "server-only";
import { type RawBuilder, sql } from "kysely";
import { db, type Queryable } from "../db.ts";
import {
  type HistoryNeed,
  HISTORY_MAX_WINDOW_MS,
  HISTORY_BUCKET_MS,
  bucketOf,
  historyKey,
  patternLike,
  summedParams,
  windowStart,
} from "../policy/history-conditions.ts";

/**
 * The maintained aggregates behind `history.count` and `history.sum` in rule
 * conditions: table approval_history, one row per (agent, action, 5-minute
 * bucket, name), name "" counting approvals and any other name summing that
 * top-level numeric parameter of the approved params (amended params as
 * approved). Rows are added in the same statement as the approval (the
 * request insert of a policy allow, the reviewer's final approval), read for
 * an evaluation in one query, and pruned after 31 days and a bucket.
 */

/**
 * Part of an approval's statement: adds `params` (as approved) to the agent's
 * history at `at`, where `guard` holds (e.g. the request row landed).
 */
export function recordApprovalHistory(o: { agentId: string; action: string; params: Record<string, unknown>; at: Date }, guard: RawBuilder<unknown>) {
  const rows = [{ name: "", total: 1 }, ...summedParams(o.params).map(([name, total]) => ({ name, total }))];
  return sql`INSERT INTO approval_history AS h (agent_id, action, name, bucket, approvals, total)
    SELECT ${o.agentId}::text, ${o.action}::text, v.name, ${bucketOf(o.at).toISOString()}::timestamptz, 1, v.total
      FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS v(name text, total float8)
     WHERE ${guard}
    ON CONFLICT (agent_id, name, action, bucket) DO UPDATE SET approvals = h.approvals + 1, total = h.total + EXCLUDED.total`;
}

/**
 * Serialises, until the transaction ends, the evaluations and allows of one
 * agent's requests that history conditions apply to: each sees every allow
 * before it, so N parallel requests cannot all pass a limit on the same old
 * total. Taken only when the rule set has such a condition for the request.
 */
export async function lockAgentHistory(q: Queryable, agentId: string): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(hashtext('countersign.history'), hashtext(${agentId}))`.execute(q);
}

/** The totals `needs` read for `agentId` at `now`, by `historyKey`, in one query. */
export async function loadHistoryTotals(q: Queryable, agentId: string, needs: HistoryNeed[], now: Date): Promise<Map<string, bigint | number>> {
  if (needs.length === 0) return new Map();
  // One scan of the agent's rows for the names read, back to the earliest window start, joined to the needs.
  const since = needs.map((n) => windowStart(now, n.windowMs));
  const earliest = new Date(Math.min(...since.map((d) => d.getTime())));
  const rows = await sql<{ i: string; total: number | null }>`
    SELECT n.i, sum(h.total) AS total
      FROM unnest(${needs.map((n) => n.name)}::text[], ${needs.map((n) => patternLike(n.pattern))}::text[],
                  ${since.map((d) => d.toISOString())}::timestamptz[]) WITH ORDINALITY AS n(name, pattern, since, i)
      JOIN approval_history h ON h.name = n.name AND h.bucket >= n.since AND h.action LIKE n.pattern
     WHERE h.agent_id = ${agentId} AND h.name = ANY(${[...new Set(needs.map((n) => n.name))]}::text[]) AND h.bucket >= ${earliest.toISOString()}::timestamptz
     GROUP BY n.i`.execute(q);
  // A need with no rows in its window totals 0.
  const totals = new Map<string, bigint | number>(needs.map((n) => [historyKey(n), n.kind === "count" ? 0n : 0]));
  for (const r of rows.rows) {
    const need = needs[Number(r.i) - 1];
    const total = Number(r.total ?? 0);
    totals.set(historyKey(need), need.kind === "count" ? BigInt(Math.round(total)) : total);
  }
  return totals;
}

/** Drops buckets no window can reach any more; returns how many rows went. */
export async function pruneApprovalHistory(o: { now?: Date; q?: Queryable } = {}): Promise<number> {
  const before = new Date((o.now ?? new Date()).getTime() - HISTORY_MAX_WINDOW_MS - HISTORY_BUCKET_MS);
  const result = await (o.q ?? db()).deleteFrom("approvalHistory").where("bucket", "<", before).executeTakeFirst();
  return Number(result.numDeletedRows);
}
