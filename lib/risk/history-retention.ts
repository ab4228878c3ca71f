import "server-only";
import { sql } from "kysely";
import { db, type Queryable } from "../db.ts";
import { logger } from "../logger.ts";
import { dropPartition, listDetached, listPartitions, monthStart, PARTITIONING, type Partition } from "../partitions.ts";

const DAY = 86_400_000;

/**
 * Retention of the hourly risk history (risk_agent_hourly, one partition per
 * month of `hour`). The longest window the risk code reads is the 7-day
 * hourly baseline (BASELINE_WINDOW in record-risk-history.ts), and hours are
 * flushed at most HISTORY_FLOOR (8 days) back: every month that ended before
 * the month holding `now - PARTITIONING.risk_agent_hourly.backDays` (9 days,
 * a day of margin) is read by nothing and is dropped, detached concurrently
 * first so no request waits. No setting: the window is the code's.
 *
 * The one other thing read from the history is whether the agent has any hour
 * before the baseline window (its first hour; a newer agent's median is over
 * fewer hours). So that dropping a month does not make agents look newer, each
 * agent of a dropped month first gets an empty hour (0 requests) at the start
 * of the oldest kept month, which is before the window: it adds no request to
 * any median and keeps the first hour before the window.
 */
export async function dropOldRiskHistory(o: { now?: Date; q?: Queryable } = {}): Promise<Partition[]> {
  const q = o.q ?? db();
  const keptFrom = monthStart(new Date((o.now ?? new Date()).getTime() - PARTITIONING.risk_agent_hourly.backDays * DAY));
  const old = [...(await listDetached("risk_agent_hourly", q)), ...(await listPartitions("risk_agent_hourly", q))].filter((p) => p.to <= keptFrom);
  for (const p of old) {
    await sql`INSERT INTO risk_agent_hourly (agent_id, hour, requests)
              SELECT DISTINCT agent_id, ${keptFrom}::timestamptz, 0 FROM ${sql.id(p.name)}
              ON CONFLICT (agent_id, hour) DO NOTHING`.execute(q);
    await dropPartition("risk_agent_hourly", p.name, q);
    logger.info({ partition: p.name }, "dropped a month of risk history older than the baseline window");
  }
  return old;
}
