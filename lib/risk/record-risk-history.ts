import "server-only";
import { pool } from "../db.ts";
import { logger } from "../logger.ts";
import { Statement } from "../sql.ts";
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

export interface RequestHistoryEntry {
  agentId: string;
  action: string;
  at: Date;
  /** Present when the request was approved at once (an `allow` rule). */
  approved?: { params: Record<string, unknown>; context: Record<string, unknown> };
}

/** Counts a new request (and, when a rule allowed it, its approval). */
export async function recordRequest(o: RequestHistoryEntry): Promise<void> {
  const s = new Statement();
  const agent = s.param(o.agentId);
  const hour = `${s.param(new Date(Math.floor(o.at.getTime() / HOUR) * HOUR).toISOString())}::timestamptz`;
  const window = `${s.param(new Date(Math.floor(o.at.getTime() / RATE_WINDOW) * RATE_WINDOW).toISOString())}::timestamptz`;
  lockAgent(s, agent);
  // The hour the row was counting has ended: keep its count for the baseline.
  s.with(
    "risk_flush",
    `INSERT INTO risk_agent_hourly AS h (agent_id, hour, requests)
     SELECT agent_id, hour_start, hour_count FROM risk_locked WHERE hour_start < ${hour}
     ON CONFLICT (agent_id, hour) DO UPDATE SET requests = h.requests + EXCLUDED.requests`,
  );
  // A window or hour from a clock behind the row's counts as the current one.
  s.with(
    "risk_rate",
    `INSERT INTO risk_agent_rate AS r (agent_id, window_start, current, previous, hour_start, hour_count)
     SELECT ${agent}, ${window}, 1, 0, ${hour}, 1 WHERE EXISTS (SELECT 1 FROM risk_lock)
     ON CONFLICT (agent_id) DO UPDATE SET
       previous = CASE WHEN EXCLUDED.window_start <= r.window_start THEN r.previous
                       WHEN EXCLUDED.window_start = r.window_start + interval '10 minutes' THEN r.current ELSE 0 END,
       current = CASE WHEN EXCLUDED.window_start <= r.window_start THEN r.current + 1 ELSE 1 END,
       window_start = greatest(r.window_start, EXCLUDED.window_start),
       hour_count = CASE WHEN EXCLUDED.hour_start <= r.hour_start THEN r.hour_count + 1 ELSE 1 END,
       hour_start = greatest(r.hour_start, EXCLUDED.hour_start)
     RETURNING 1`,
  );
  // The first request for an action leaves a row; later ones write nothing.
  s.with(
    "risk_seen",
    `INSERT INTO risk_action_stats (agent_id, action) SELECT ${agent}, ${s.param(o.action)} WHERE EXISTS (SELECT 1 FROM risk_rate)
     ON CONFLICT (agent_id, action) DO NOTHING`,
  );
  if (o.approved) approvalCtes(s, agent, { action: o.action, at: o.at, ...o.approved }, "risk_rate");
  await run(s, o.agentId);
}

/** Adds an approved request to its agent's history (see `approvalCtes`). */
export async function recordApproval(o: {
  agentId: string;
  action: string;
  params: Record<string, unknown>;
  context: Record<string, unknown>;
  at: Date;
}): Promise<void> {
  const s = new Statement();
  const agent = s.param(o.agentId);
  lockAgent(s, agent);
  approvalCtes(s, agent, o, "risk_lock");
  await run(s, o.agentId);
}

function lockAgent(s: Statement, agent: string): void {
  // The row as locked: its latest version, even when this statement waited for another's.
  s.with("risk_locked", `SELECT agent_id, hour_start, hour_count FROM risk_agent_rate WHERE agent_id = ${agent} FOR UPDATE`);
  // One row whether or not the agent has a rate row yet (a first request inserts it).
  s.with("risk_lock", "SELECT count(*) FROM risk_locked");
}

/**
 * The action's approval count, each numeric parameter's running statistics
 * (Welford's update, as `addToStats` in compute-risk.ts) and the
 * on_behalf_of and environment seen, once `after` has run.
 */
function approvalCtes(
  s: Statement,
  agent: string,
  o: { action: string; params: Record<string, unknown>; context: Record<string, unknown>; at: Date },
  after: string,
): void {
  const action = s.param(o.action);
  const at = `${s.param(o.at.toISOString())}::timestamptz`;
  const ready = `EXISTS (SELECT 1 FROM ${after})`;
  const values = [...numericParams(o.params)].map(([path, v]) => ({ path, v }));
  const environment = environmentOf(o.context);
  const principal = principalOf(o.context);
  const known = [
    principal && { kind: "on_behalf_of", value: principal },
    environment.name && { kind: "environment.name", value: environment.name },
    environment.runtime && { kind: "environment.runtime", value: environment.runtime },
  ].filter(Boolean);

  s.with(
    "risk_action",
    `INSERT INTO risk_action_stats AS a (agent_id, action, approved, last_approved_at)
     SELECT ${agent}, ${action}, 1, ${at} WHERE ${ready}
     ON CONFLICT (agent_id, action) DO UPDATE SET approved = a.approved + 1, last_approved_at = EXCLUDED.last_approved_at`,
  );
  // EXCLUDED.mean is the new value x; every SET expression sees the old row.
  s.with(
    "risk_params",
    `INSERT INTO risk_param_stats AS p (agent_id, action, path, n, min, max, mean, m2)
     SELECT ${agent}, ${action}, v.path, 1, v.v, v.v, v.v, 0
       FROM jsonb_to_recordset(${s.param(JSON.stringify(values))}::jsonb) AS v(path text, v float8)
      WHERE ${ready}
     ON CONFLICT (agent_id, action, path) DO UPDATE SET
       n = p.n + 1,
       min = least(p.min, EXCLUDED.min),
       max = greatest(p.max, EXCLUDED.max),
       mean = p.mean + (EXCLUDED.mean - p.mean) / (p.n + 1),
       m2 = p.m2 + (EXCLUDED.mean - p.mean) * (EXCLUDED.mean - (p.mean + (EXCLUDED.mean - p.mean) / (p.n + 1)))`,
  );
  s.with(
    "risk_known",
    `INSERT INTO risk_known_values AS k (agent_id, kind, value, approved, last_approved_at)
     SELECT ${agent}, v.kind, v.value, 1, ${at}
       FROM jsonb_to_recordset(${s.param(JSON.stringify(known))}::jsonb) AS v(kind text, value text)
      WHERE ${ready}
     ON CONFLICT (agent_id, kind, value) DO UPDATE SET approved = k.approved + 1, last_approved_at = EXCLUDED.last_approved_at`,
  );
}

async function run(s: Statement, agentId: string): Promise<void> {
  try {
    // Committed asynchronously (this statement's transaction only): no wait for
    // the WAL flush, which cost more than the writes themselves. A crash may
    // lose the last fraction of a second of history, which errs as above.
    await pool().query(s.build("SELECT set_config('synchronous_commit', 'off', true)"));
  } catch (err) {
    // The request itself has committed; a history gap only adds scrutiny later (see above).
    logger.warn({ err, agentId }, "risk history not recorded");
  }
}
