import "server-only";
import type pg from "pg";
import { pool } from "../db.ts";
import { EVENT_COLUMNS, toChainRow, type ChainRow } from "./verify-chain.ts";

/** Kinds of actor: `agent:agt_…`, `user:usr_…`, `policy:pol_…`, `admin_token:…`, or the bare words. */
export const ACTOR_KINDS = ["agent", "user", "policy", "system", "executor", "admin_token", "cli"] as const;

/**
 * Which events to read. Time bounds are half-open: `since` inclusive, `until`
 * exclusive, so consecutive ranges (`--since A --until B`, then `--since B …`)
 * export every event exactly once.
 */
export interface EventFilter {
  since?: Date;
  until?: Date;
  /** An actor kind (`agent`, `user`, `system`, `policy`, …) or one exact actor (`user:usr_…`). */
  actor?: string;
  /** An exact type, or a prefix ending in `.*` (`request.*`). */
  type?: string;
  requestId?: string;
  agentId?: string;
}

/** The API's and the CLI's filter query (already validated: RFC 3339 times) as an `EventFilter`. */
export function eventFilter(q: { since?: string; until?: string; actor?: string; type?: string; request?: string; agent?: string }): EventFilter {
  return {
    since: q.since ? new Date(q.since) : undefined,
    until: q.until ? new Date(q.until) : undefined,
    actor: q.actor,
    type: q.type,
    requestId: q.request,
    agentId: q.agent,
  };
}

/** SQL conditions and values for a filter, numbering parameters from `first`. */
function where(filter: EventFilter, first: number): { sql: string[]; values: unknown[] } {
  const sql: string[] = [];
  const values: unknown[] = [];
  const param = (v: unknown) => {
    values.push(v);
    return `$${first + values.length - 1}`;
  };
  if (filter.since) sql.push(`occurred_at >= ${param(filter.since)}`);
  if (filter.until) sql.push(`occurred_at < ${param(filter.until)}`);
  if (filter.actor) {
    if (filter.actor.includes(":")) sql.push(`actor = ${param(filter.actor)}`);
    else {
      const p = param(filter.actor);
      sql.push(`(actor = ${p} OR starts_with(actor, ${p} || ':'))`);
    }
  }
  if (filter.type) {
    if (filter.type.endsWith(".*")) sql.push(`starts_with(type, ${param(filter.type.slice(0, -1))})`);
    else sql.push(`type = ${param(filter.type)}`);
  }
  if (filter.requestId) sql.push(`request_id = ${param(filter.requestId)}`);
  if (filter.agentId) sql.push(`agent_id = ${param(filter.agentId)}`);
  return { sql, values };
}

/** One page of events, newest first, strictly before seq `before` (the cursor of the previous page). */
export async function listEvents(
  filter: EventFilter,
  page: { limit: number; before?: bigint },
  db: Pick<pg.Pool, "query"> = pool(),
): Promise<{ events: ChainRow[]; nextCursor: bigint | null }> {
  const w = where(filter, 3);
  const conditions = ["($1::bigint IS NULL OR seq < $1::bigint)", ...w.sql];
  const { rows } = await db.query(`SELECT ${EVENT_COLUMNS} FROM audit_events WHERE ${conditions.join(" AND ")} ORDER BY seq DESC LIMIT $2`, [
    page.before?.toString() ?? null,
    page.limit + 1,
    ...w.values,
  ]);
  const events = rows.slice(0, page.limit).map(toChainRow);
  return { events, nextCursor: rows.length > page.limit ? events[events.length - 1].seq : null };
}

export async function getEvent(seq: bigint, db: Pick<pg.Pool, "query"> = pool()): Promise<ChainRow | null> {
  const { rows } = await db.query(`SELECT ${EVENT_COLUMNS} FROM audit_events WHERE seq = $1`, [seq.toString()]);
  return rows[0] ? toChainRow(rows[0]) : null;
}

/**
 * Every event matching the filter in seq order, read in keyset pages of
 * `batchSize`: however large the range, one page at a time is in memory.
 */
export async function* streamEvents(filter: EventFilter, options: { batchSize?: number; db?: Pick<pg.Pool, "query"> } = {}): AsyncGenerator<ChainRow> {
  const batchSize = options.batchSize ?? 2000;
  const db = options.db ?? pool();
  const w = where(filter, 3);
  const text = `SELECT ${EVENT_COLUMNS} FROM audit_events WHERE ${["seq > $1", ...w.sql].join(" AND ")} ORDER BY seq LIMIT $2`;
  let after = 0n;
  for (;;) {
    const { rows } = await db.query(text, [after.toString(), batchSize, ...w.values]);
    for (const r of rows) yield toChainRow(r);
    if (rows.length < batchSize) return;
    after = BigInt(rows[rows.length - 1].seq as string);
  }
}

/** An event as the API, the console and JSON-lines exports show it. */
export function eventObject(e: ChainRow) {
  return {
    seq: Number(e.seq),
    type: e.type,
    actor: e.actor,
    request_id: e.requestId,
    agent_id: e.agentId,
    occurred_at: e.occurredAt.toISOString(),
    data: e.data as Record<string, unknown>,
    prev_hash: e.prevHash,
    hash: e.hash,
  };
}

export const CSV_COLUMNS = ["seq", "occurred_at", "type", "actor", "request_id", "agent_id", "data", "prev_hash", "hash"] as const;

/**
 * One CSV field (RFC 4180): quoted when it holds a comma, quote or line
 * break, quotes doubled. A value a spreadsheet would run as a formula
 * (starting with = + - @, tab or carriage return) is prefixed with `'`.
 */
export function csvField(value: string | number | null): string {
  if (value === null) return "";
  let s = String(value);
  if (typeof value === "string" && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

export function csvHeader(): string {
  return `${CSV_COLUMNS.join(",")}\r\n`;
}

export function csvLine(e: ChainRow): string {
  const o = eventObject(e);
  return `${[o.seq, o.occurred_at, o.type, o.actor, o.request_id, o.agent_id, JSON.stringify(o.data), o.prev_hash, o.hash].map(csvField).join(",")}\r\n`;
}

export function jsonLine(e: ChainRow): string {
  return `${JSON.stringify(eventObject(e))}\n`;
}

export type ExportFormat = "jsonl" | "csv";

/** The export as text chunks (a header, then one line per event), streamed from `streamEvents`. */
export async function* exportLines(
  filter: EventFilter,
  format: ExportFormat,
  options: { batchSize?: number; db?: Pick<pg.Pool, "query"> } = {},
): AsyncGenerator<string> {
  if (format === "csv") yield csvHeader();
  const line = format === "csv" ? csvLine : jsonLine;
  let chunk = "";
  for await (const e of streamEvents(filter, options)) {
    chunk += line(e);
    if (chunk.length >= 64 * 1024) {
      yield chunk;
      chunk = "";
    }
  }
  if (chunk) yield chunk;
}
