import "server-only";
import { type RawBuilder, sql } from "kysely";
import { db } from "../db.ts";
import { logger } from "../logger.ts";
import { environmentOf, numericParams, principalOf } from "./compute-risk.ts";

/**
 * The history that risk flags are computed from, written right after the
 * request's own statement commits, as one statement of its own.
 *
 * Not inside the request's statement: that statement holds the audit head
 * lock, which serialises every state change, and per-agent counters updated
 * under it lengthened that critical section measurably. A history write lost
 * to a crash between the two statements (or failing) only makes later
 * requests look *more* unusual (a first action, an amount above the largest
 * approved), never less: it errs towards scrutiny. The same holds for the
 * asynchronous commit below.
 *
 * Every history statement first locks the agent's rate row, so two of them
 * for one agent run one after the other and can never deadlock on the rows
 * they go on to update.
 */

const HOUR = 3_600_000;
export const RATE_WINDOW = 600_000;
/** The hourly baseline: the longest window of history the risk code reads (assess-risk.ts). */
export const BASELINE_WINDOW = 7 * 24 * HOUR;
/**
 * How far back an hour is flushed: an older hour (an agent idle for months)
 * is counted at this many days back instead, still before the baseline window
 * (so it counts as history, as it did), in a month whose partition exists
 * (risk_agent_hourly keeps months back to here; lib/risk/history-retention.ts).
 */
export const HISTORY_FLOOR = 8 * 24 * HOUR;

export interface RequestHistoryEntry {
  agentId: string;
  action: string;
  at: Date;
  /** Present when the request was approved at once (an `allow` rule). */
  approved?: { params: Record<string, unknown>; context: Record<string, unknown> };
}

/** Common table expressions of one history statement, in order. */
type Ctes = RawBuilder<unknown>[];

/** Counts a new request (and, when a rule allowed it, its approval). */
export async function recordRequest(o: RequestHistoryEntry): Promise<void> {
  const agent = o.agentId;
  const hour = sql`${new Date(Math.floor(o.at.getTime() / HOUR) * HOUR)}::timestamptz`;
  const window = sql`${new Date(Math.floor(o.at.getTime() / RATE_WINDOW) * RATE_WINDOW)}::timestamptz`;
  const ctes = lockAgent(agent);
  // The hour the row was counting has ended: keep its count for the baseline.
  ctes.push(sql`risk_flush AS (
    INSERT INTO risk_agent_hourly AS h (agent_id, hour, requests)
    SELECT agent_id, greatest(hour_start, ${new Date(Math.floor(o.at.getTime() / HOUR) * HOUR - HISTORY_FLOOR)}::timestamptz), hour_count
      FROM risk_locked WHERE hour_start < ${hour}
    ON CONFLICT (agent_id, hour) DO UPDATE SET requests = h.requests + EXCLUDED.requests)`);
  // A window or hour from a clock behind the row's counts as the current one.
  ctes.push(sql`risk_rate AS (
    INSERT INTO risk_agent_rate AS r (agent_id, window_start, current, previous, hour_start, hour_count)
    SELECT ${agent}::text, ${window}, 1, 0, ${hour}, 1 WHERE EXISTS (SELECT 1 FROM risk_lock)
    ON CONFLICT (agent_id) DO UPDATE SET
      previous = CASE WHEN EXCLUDED.window_start <= r.window_start THEN r.previous
                      WHEN EXCLUDED.window_start = r.window_start + interval '10 minutes' THEN r.current ELSE 0 END,
      current = CASE WHEN EXCLUDED.window_start <= r.window_start THEN r.current + 1 ELSE 1 END,
      window_start = greatest(r.window_start, EXCLUDED.window_start),
      hour_count = CASE WHEN EXCLUDED.hour_start <= r.hour_start THEN r.hour_count + 1 ELSE 1 END,
      hour_start = greatest(r.hour_start, EXCLUDED.hour_start)
    RETURNING 1)`);
  // The first request for an action leaves a row; later ones write nothing.
  ctes.push(sql`risk_seen AS (
    INSERT INTO risk_action_stats (agent_id, action) SELECT ${agent}::text, ${o.action}::text WHERE EXISTS (SELECT 1 FROM risk_rate)
    ON CONFLICT (agent_id, action) DO NOTHING)`);
  if (o.approved) ctes.push(...approvalCtes(agent, { action: o.action, at: o.at, ...o.approved }, sql.raw("risk_rate")));
  await run(ctes, o.agentId);
}

/** Adds an approved request to its agent's history (see `approvalCtes`). */
export async function recordApproval(o: {
  agentId: string;
  action: string;
  params: Record<string, unknown>;
  context: Record<string, unknown>;
  at: Date;
}): Promise<void> {
  const ctes = lockAgent(o.agentId);
  ctes.push(...approvalCtes(o.agentId, o, sql.raw("risk_lock")));
  await run(ctes, o.agentId);
}

function lockAgent(agent: string): Ctes {
  return [
    // The row as locked: its latest version, even when this statement waited for another's.
    sql`risk_locked AS (SELECT agent_id, hour_start, hour_count FROM risk_agent_rate WHERE agent_id = ${agent} FOR UPDATE)`,
    // One row whether or not the agent has a rate row yet (a first request inserts it).
    sql`risk_lock AS (SELECT count(*) FROM risk_locked)`,
  ];
}

/**
 * The action's approval count, each numeric parameter's running statistics
 * (Welford's update, as `addToStats` in compute-risk.ts) and the
 * on_behalf_of and environment seen, once `after` (a CTE's name) has run.
 */
function approvalCtes(
  agent: string,
  o: { action: string; params: Record<string, unknown>; context: Record<string, unknown>; at: Date },
  after: RawBuilder<unknown>,
): Ctes {
  const at = sql`${o.at}::timestamptz`;
  const ready = sql`EXISTS (SELECT 1 FROM ${after})`;
  const values = [...numericParams(o.params)].map(([path, v]) => ({ path, v }));
  const environment = environmentOf(o.context);
  const principal = principalOf(o.context);
  const known = [
    principal && { kind: "on_behalf_of", value: principal },
    environment.name && { kind: "environment.name", value: environment.name },
    environment.runtime && { kind: "environment.runtime", value: environment.runtime },
  ].filter(Boolean);

  return [
    sql`risk_action AS (
      INSERT INTO risk_action_stats AS a (agent_id, action, approved, last_approved_at)
      SELECT ${agent}::text, ${o.action}::text, 1, ${at} WHERE ${ready}
      ON CONFLICT (agent_id, action) DO UPDATE SET approved = a.approved + 1, last_approved_at = EXCLUDED.last_approved_at)`,
    // EXCLUDED.mean is the new value x; every SET expression sees the old row.
    sql`risk_params AS (
      INSERT INTO risk_param_stats AS p (agent_id, action, path, n, min, max, mean, m2)
      SELECT ${agent}::text, ${o.action}::text, v.path, 1, v.v, v.v, v.v, 0
        FROM jsonb_to_recordset(${JSON.stringify(values)}::jsonb) AS v(path text, v float8)
       WHERE ${ready}
      ON CONFLICT (agent_id, action, path) DO UPDATE SET
        n = p.n + 1,
        min = least(p.min, EXCLUDED.min),
        max = greatest(p.max, EXCLUDED.max),
        mean = p.mean + (EXCLUDED.mean - p.mean) / (p.n + 1),
        m2 = p.m2 + (EXCLUDED.mean - p.mean) * (EXCLUDED.mean - (p.mean + (EXCLUDED.mean - p.mean) / (p.n + 1))))`,
    sql`risk_known AS (
      INSERT INTO risk_known_values AS k (agent_id, kind, value, approved, last_approved_at)
      SELECT ${agent}::text, v.kind, v.value, 1, ${at}
        FROM jsonb_to_recordset(${JSON.stringify(known)}::jsonb) AS v(kind text, value text)
       WHERE ${ready}
      ON CONFLICT (agent_id, kind, value) DO UPDATE SET approved = k.approved + 1, last_approved_at = EXCLUDED.last_approved_at)`,
  ];
}

async function run(ctes: Ctes, agentId: string): Promise<void> {
  try {
    // Committed asynchronously (this statement's transaction only): no wait for
    // the WAL flush, which cost more than the writes themselves. A crash may
    // lose the last fraction of a second of history, which errs as above.
    await sql`WITH RECURSIVE ${sql.join(ctes, sql`,\n`)}\nSELECT set_config('synchronous_commit', 'off', true)`.execute(db());
  } catch (err) {
    // The request itself has committed; a history gap only adds scrutiny later (see above).
    logger.warn({ err, agentId }, "risk history not recorded");
  }
}
