import "server-only";
import { type RawBuilder, sql } from "kysely";
import { db, type Queryable } from "../db.ts";
import { metrics } from "../metrics.ts";
import { actionMatches } from "../policy/match-rules.ts";
import { KeptSnapshots } from "./kept-snapshots.ts";
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
 * (`historyUnchanged`) found that an approval landed since its read, and by
 * a person's final approval (lib/requests/decide-request.ts), so a guard
 * never misses one committing at the same moment.
 */
export async function lockAgentHistory(q: Queryable, agentId: string): Promise<void> {
  await sql`SELECT ${historyLock(agentId)}`.execute(q);
}

/**
 * The totals `needs` read for `agentId` at `now`, by `historyKey`, in one
 * query. Needs that differ only by window share one scan: the distinct window
 * starts, sorted, cut time into segments, each of the agent's buckets for a
 * distinct (name, pattern) is put in its segment by binary search
 * (width_bucket), and the query returns one sum per group and segment; a
 * need's total is the sum of its group's segments from its window's start on.
 * So 50 windows over one parameter cost one pass over its buckets and at most
 * 50 rows, not 50 passes.
 */
export async function loadHistoryTotals(
  q: Queryable,
  agentId: string,
  needs: readonly HistoryNeed[],
  now: Date,
  o: HistoryReadOptions = {},
): Promise<Map<string, bigint | number>> {
  return (await loadHistorySnapshot(q, agentId, needs, now, o)).totals;
}

export interface HistoryReadOptions {
  /** Counts only the buckets before the one holding this time (history as of a past request, for the simulator); every bucket when omitted. */
  before?: Date;
}

/**
 * Where the guard starts counting the agent's approvals: an approval landing
 * between a read and its insert is in the bucket of its own time, the current
 * one, or the one before across a bucket's end (or a little clock skew between
 * instances). Counting those two buckets, not the whole of the longest window,
 * keeps the guard's count a few index entries.
 */
const guardSince = (now: Date) => new Date(bucketOf(now).getTime() - HISTORY_BUCKET_MS);

/** What a guard checks later: the agent's approvals (of any action) since `since` (recent buckets), as this read saw them. */
export interface HistorySnapshot {
  totals: Map<string, bigint | number>;
  since: Date;
  approvals: number;
}

/** `loadHistoryTotals`, and in the same query the count `historyUnchanged` compares with when the create lands. */
export async function loadHistorySnapshot(
  q: Queryable,
  agentId: string,
  needs: readonly HistoryNeed[],
  now: Date,
  o: HistoryReadOptions = {},
): Promise<HistorySnapshot> {
  if (needs.length === 0) return { totals: new Map(), since: now, approvals: 0 };
  const groups = new Map<string, number>();
  const groupOf = needs.map((n) => {
    const key = `${n.name}\u0000${patternLike(n.pattern)}`;
    if (!groups.has(key)) groups.set(key, groups.size + 1);
    return groups.get(key)!;
  });
  const groupKeys = [...groups.keys()].map((k) => k.split("\u0000"));
  const startOf = needs.map((n) => windowStart(now, n.windowMs).getTime());
  // Ascending and distinct, as width_bucket wants; segment k (1-based) runs from starts[k - 1] to the next start.
  const starts = [...new Set(startOf)].sort((a, b) => a - b);
  const earliest = new Date(starts[0]).toISOString();
  const since = guardSince(now);
  const rows = await sql<{ gi: number; seg: number; total: number | null }>`
    WITH g AS (
      SELECT * FROM unnest(${groupKeys.map(([name]) => name)}::text[], ${groupKeys.map(([, like]) => like)}::text[]) WITH ORDINALITY AS g(name, pattern, gi)
    )
    SELECT g.gi::int AS gi, width_bucket(h.bucket, ${starts.map((t) => new Date(t).toISOString())}::timestamptz[]) AS seg, sum(h.total) AS total
      FROM g JOIN approval_history h ON h.agent_id = ${agentId} AND h.name = g.name AND h.action LIKE g.pattern AND h.bucket >= ${earliest}::timestamptz
           ${o.before ? sql`AND h.bucket < ${bucketOf(o.before).toISOString()}::timestamptz` : sql``}
     GROUP BY 1, 2
    UNION ALL
    SELECT 0, 0, (SELECT coalesce(sum(approvals), 0)::float8 FROM approval_history
                   WHERE agent_id = ${agentId} AND name = '' AND bucket >= ${since.toISOString()}::timestamptz)`.execute(q);
  // Per group, the total from each segment on (index = segment): suffix sums.
  const fromSegment = [...groups.values()].map(() => new Float64Array(starts.length + 2));
  let approvals = 0;
  for (const r of rows.rows) {
    if (Number(r.gi) === 0) approvals = Number(r.total ?? 0);
    else fromSegment[Number(r.gi) - 1][Number(r.seg)] += Number(r.total ?? 0);
  }
  for (const sums of fromSegment) for (let k = starts.length - 1; k >= 1; k--) sums[k] += sums[k + 1];
  const totals = new Map<string, bigint | number>();
  needs.forEach((need, i) => {
    // A need with no rows in its window totals 0.
    const total = fromSegment[groupOf[i] - 1][starts.indexOf(startOf[i]) + 1];
    totals.set(historyKey(need), need.kind === "count" ? BigInt(Math.round(total)) : total);
  });
  return { totals, since, approvals };
}

/** A snapshot this process read (or carried forward past its own approvals), with what it covers. */
export interface KeptSnapshot extends HistorySnapshot {
  needs: readonly HistoryNeed[];
  /** Where each need's window started when it was read: it is reused only while they all still do. */
  starts: number[];
}

/** By agent, then by the totals covered (`needsKey`): 100,000 totals at most in all, 8 snapshots per agent. */
const kept = new KeptSnapshots<KeptSnapshot>({ totals: 100_000, perAgent: 8 });

/** The totals `needs` cover, as a key: the same for equal needs of two rule sets (the cache survives a policy change). */
const needsKeys = new WeakMap<readonly HistoryNeed[], string>();
function needsKey(needs: readonly HistoryNeed[]): string {
  let key = needsKeys.get(needs);
  if (key === undefined) needsKeys.set(needs, (key = needs.map(historyKey).join("\n")));
  return key;
}

/**
 * The snapshot a create of `agentId` evaluates its history conditions with:
 * one this process kept for the same totals while every window still starts
 * where it did (window starts move in 5-minute steps), else a fresh read,
 * kept for the next create.
 *
 * Why a kept snapshot is safe: the create's guard (`historyUnchanged`) counts
 * the agent's approvals since the snapshot's `since` and lands only when the
 * count is still the snapshot's. Approvals are only ever added, and every one
 * that landed after the read (here, by a person, on another instance) is in
 * a bucket from `since` on: it fails the guard, and the create reads again
 * (lib/requests/create-request.ts). A create this process allows carries the
 * snapshot it was evaluated with forward (`historyApproved`), so an agent
 * whose requests are allowed keeps its snapshot too. So an agent costs one
 * history read per window step and per approval landing elsewhere, not one
 * per create.
 */
export async function recentHistorySnapshot(
  agentId: string,
  needs: readonly HistoryNeed[],
  now: Date,
  o: { reuse: boolean },
): Promise<{ snapshot: KeptSnapshot; reused: boolean }> {
  const key = needsKey(needs);
  const starts = needs.map((n) => windowStart(now, n.windowMs).getTime());
  const earlier = o.reuse ? kept.get(agentId, key) : undefined;
  if (earlier?.starts.every((t, i) => t === starts[i])) {
    metrics().historyReads.inc({ from: "memory" });
    return { snapshot: earlier, reused: true };
  }
  const snapshot: KeptSnapshot = { ...(await loadHistorySnapshot(db(), agentId, needs, now)), needs, starts };
  metrics().historyReads.inc({ from: "database" });
  kept.set(agentId, key, snapshot);
  return { snapshot, reused: false };
}

/** Drops the snapshots kept for `agentId`: a guard found its history changed since they were read. */
export function forgetHistorySnapshots(agentId: string): void {
  kept.forget(agentId);
}

/**
 * After this process landed an approval of `agentId` (its statement added it
 * to the history): the agent's other snapshots are dropped, and the one its
 * create was evaluated with, when given and still kept, is carried forward
 * with the approval added. That is exact: the create's guard passed, so no
 * approval landed between that snapshot's read and this one; any landing
 * after it fails the next guard (the count is one more than the snapshot's).
 */
export function historyApproved(agentId: string, approval: { action: string; params: Record<string, unknown>; at: Date }, evaluatedWith?: KeptSnapshot): void {
  const key = evaluatedWith && needsKey(evaluatedWith.needs);
  const current = key && kept.get(agentId, key);
  kept.forget(agentId);
  const bucket = bucketOf(approval.at).getTime();
  if (!key || current !== evaluatedWith || bucket < evaluatedWith.since.getTime()) return;
  const summed = new Map(summedParams(approval.params));
  const totals = new Map(evaluatedWith.totals);
  evaluatedWith.needs.forEach((need, i) => {
    if (bucket < evaluatedWith.starts[i] || !actionMatches(need.pattern, approval.action)) return;
    const added = need.name === "" ? 1 : summed.get(need.name);
    if (added === undefined) return;
    const key = historyKey(need);
    const total = totals.get(key) ?? 0;
    totals.set(key, typeof total === "bigint" ? total + BigInt(added) : total + added);
  });
  kept.set(agentId, key, { ...evaluatedWith, totals, approvals: evaluatedWith.approvals + 1 });
}

/**
 * Part of a create's statement, evaluated before its agent row is locked:
 * takes the agent's history lock (held to the end of the statement) and is
 * true when the agent's approvals in the recent buckets are still the number
 * the evaluation read (countersign_history_approvals: a fresh
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
