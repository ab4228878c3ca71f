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

/** The agent's history lock, held to the end of the transaction (or of the statement, outside one). */
const historyLock = (agentId: string) => sql`pg_advisory_xact_lock(hashtext('countersign.history'), hashtext(${agentId}))`;

/**
 * Serialises, until the transaction ends, the evaluations and allows of one
 * agent's requests whose conditions read history: each sees every allow
 * before it. Taken by the careful path of a create, after its guard
 * (`historyUnchanged`) found that an approval landed since its read.
 */
export async function lockAgentHistory(q: Queryable, agentId: string): Promise<void> {
  await sql`SELECT ${historyLock(agentId)}`.execute(q);
}

/**
 * The totals `needs` read for `agentId` at `now`, by `historyKey`, in one
 * query. Needs that differ only by window share one scan: the agent's buckets
 * for each distinct (name, pattern) are summed once per bucket, turned into
 * running totals from the newest bucket back, and each need reads the running
 * total at its window's first bucket. So 50 windows over one parameter cost one
 * pass over its buckets, not 50.
 */
export async function loadHistoryTotals(q: Queryable, agentId: string, needs: HistoryNeed[], now: Date): Promise<Map<string, bigint | number>> {
  return (await loadHistorySnapshot(q, agentId, needs, now)).totals;
}

/** What a guard checks later: the agent's approvals (of any action) since `since`, as this read saw them. */
export interface HistorySnapshot {
  totals: Map<string, bigint | number>;
  since: Date;
  approvals: number;
}

/** `loadHistoryTotals`, and in the same query the count `historyUnchanged` compares with when the create lands. */
export async function loadHistorySnapshot(q: Queryable, agentId: string, needs: HistoryNeed[], now: Date): Promise<HistorySnapshot> {
  if (needs.length === 0) return { totals: new Map(), since: now, approvals: 0 };
  const groups = new Map<string, number>();
  const groupOf = needs.map((n) => {
    const key = `${n.name}\u0000${patternLike(n.pattern)}`;
    if (!groups.has(key)) groups.set(key, groups.size + 1);
    return groups.get(key)!;
  });
  const groupKeys = [...groups.keys()].map((k) => k.split("\u0000"));
  const since = needs.map((n) => windowStart(now, n.windowMs));
  const earliest = new Date(Math.min(...since.map((d) => d.getTime())));
  const rows = await sql<{ i: string; total: number | null }>`
    WITH g AS (
      SELECT * FROM unnest(${groupKeys.map(([name]) => name)}::text[], ${groupKeys.map(([, like]) => like)}::text[]) WITH ORDINALITY AS g(name, pattern, gi)
    ), per_bucket AS (
      SELECT g.gi, h.bucket, sum(h.total) AS total
        FROM g JOIN approval_history h ON h.agent_id = ${agentId} AND h.name = g.name AND h.action LIKE g.pattern AND h.bucket >= ${earliest.toISOString()}::timestamptz
       GROUP BY g.gi, h.bucket
    ), running AS MATERIALIZED (
      SELECT gi, bucket, sum(total) OVER (PARTITION BY gi ORDER BY bucket DESC) AS since_here FROM per_bucket
    )
    SELECT n.i, (SELECT r.since_here FROM running r WHERE r.gi = n.gi AND r.bucket >= n.since ORDER BY r.bucket LIMIT 1) AS total
      FROM unnest(${groupOf}::int[], ${since.map((d) => d.toISOString())}::timestamptz[]) WITH ORDINALITY AS n(gi, since, i)
    UNION ALL
    SELECT 0, (SELECT coalesce(sum(approvals), 0)::float8 FROM approval_history
                WHERE agent_id = ${agentId} AND name = '' AND bucket >= ${earliest.toISOString()}::timestamptz)`.execute(q);
  // A need with no rows in its window totals 0.
  const totals = new Map<string, bigint | number>(needs.map((n) => [historyKey(n), n.kind === "count" ? 0n : 0]));
  let approvals = 0;
  for (const r of rows.rows) {
    if (Number(r.i) === 0) {
      approvals = Number(r.total ?? 0);
      continue;
    }
    const need = needs[Number(r.i) - 1];
    const total = Number(r.total ?? 0);
    totals.set(historyKey(need), need.kind === "count" ? BigInt(Math.round(total)) : total);
  }
  return { totals, since: earliest, approvals };
}

/**
 * Part of a create's statement, evaluated before its agent row is locked:
 * takes the agent's history lock (held to the end of the statement) and is
 * true when the agent's approvals since the snapshot's window start are still
 * the number the evaluation read (countersign_history_approvals: a fresh
 * snapshot after the lock). False: some approval landed in between, and the
 * create is evaluated again under the lock.
 */
export function historyUnchanged(agentId: string, snapshot: Pick<HistorySnapshot, "since" | "approvals">) {
  // The lock is the function's argument: taken before the function runs its query (on a fresh snapshot).
  const lock = sql`(SELECT true FROM (SELECT ${historyLock(agentId)}) AS l)`;
  return sql<boolean>`countersign_history_approvals(${agentId}, ${snapshot.since.toISOString()}::timestamptz, ${lock}) = ${snapshot.approvals}::bigint`;
}

/** Drops buckets no window can reach any more; returns how many rows went. */
export async function pruneApprovalHistory(o: { now?: Date; q?: Queryable } = {}): Promise<number> {
  const before = new Date((o.now ?? new Date()).getTime() - HISTORY_MAX_WINDOW_MS - HISTORY_BUCKET_MS);
  const result = await (o.q ?? db()).deleteFrom("approvalHistory").where("bucket", "<", before).executeTakeFirst();
  return Number(result.numDeletedRows);
}
