import "server-only";
import { type Expression, type ExpressionBuilder, type SqlBool, sql } from "kysely";
import { db, type DB, type Queryable } from "../db.ts";
import type { ChainRow } from "./verify-chain.ts";

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
  /** Any of these exact actors (people and agents found by name: lib/audit/actor-names.ts); empty matches nothing. */
  actorIn?: string[];
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

type Events = ExpressionBuilder<DB, "auditEvents">;

/** The kind of an actor: the part before the first colon. Spelled as the index audit_events_actor_kind_seq_idx spells it. */
const ACTOR_KIND = sql<string>`split_part(${sql.ref("actor")}, ':', 1)`;

/** The filter's conditions. */
function where(eb: Events, filter: EventFilter): Expression<SqlBool>[] {
  const conditions: Expression<SqlBool>[] = [];
  if (filter.since) conditions.push(eb("occurredAt", ">=", filter.since));
  if (filter.until) conditions.push(eb("occurredAt", "<", filter.until));
  if (filter.actor) {
    if (filter.actor.includes(":")) conditions.push(eb("actor", "=", filter.actor));
    // A kind: the bare word or any `kind:…`, i.e. the part before the first colon
    // (indexed: audit_events_actor_kind_seq_idx).
    else conditions.push(eb(ACTOR_KIND, "=", filter.actor));
  }
  if (filter.type) {
    if (filter.type.endsWith(".*")) conditions.push(eb.fn<SqlBool>("starts_with", ["type", eb.val(filter.type.slice(0, -1))]));
    else conditions.push(eb("type", "=", filter.type));
  }
  if (filter.requestId) conditions.push(eb("requestId", "=", filter.requestId));
  if (filter.agentId) conditions.push(eb("agentId", "=", filter.agentId));
  if (filter.actorIn) conditions.push(filter.actorIn.length ? eb("actor", "in", filter.actorIn) : sql<SqlBool>`false`);
  return conditions;
}

const COLUMNS = ["seq", "type", "actor", "requestId", "agentId", "data", "occurredAt", "prevHash", "hash"] as const;

function toChainRow(r: Omit<ChainRow, "seq"> & { seq: string }): ChainRow {
  return { ...r, seq: BigInt(r.seq) };
}

/** The chained events (the sealer has given them their seq and links; lib/audit/sealer.ts). */
function sealed(q: Queryable) {
  return q.selectFrom("auditEvents").select(COLUMNS).where("seq", "is not", null).$narrowType<{ seq: string; prevHash: string; hash: string }>();
}

/** One page of events, newest first, strictly before seq `before` (the cursor of the previous page). */
export async function listEvents(
  filter: EventFilter,
  page: { limit: number; before?: bigint },
  q: Queryable = db(),
): Promise<{ events: ChainRow[]; nextCursor: bigint | null }> {
  const before = page.before;
  const rows = await sealed(q)
    .where((eb) => eb.and([...(before !== undefined ? [eb("seq", "<", before.toString())] : []), ...where(eb, filter)]))
    .orderBy("seq", "desc")
    .limit(page.limit + 1)
    .execute();
  const events = rows.slice(0, page.limit).map(toChainRow);
  return { events, nextCursor: rows.length > page.limit ? events[events.length - 1].seq : null };
}

/** Up to `limit` chained events with `afterSeq < seq <= upTo`, in seq order (verification's pages). */
export async function chainEvents(q: Queryable, afterSeq: bigint, upTo: bigint, limit: number): Promise<ChainRow[]> {
  const rows = await sealed(q).where("seq", ">", afterSeq.toString()).where("seq", "<=", upTo.toString()).orderBy("seq").limit(limit).execute();
  return rows.map(toChainRow);
}

export async function getEvent(seq: bigint, q: Queryable = db()): Promise<ChainRow | null> {
  const row = await sealed(q).where("seq", "=", seq.toString()).executeTakeFirst();
  return row ? toChainRow(row) : null;
}

/**
 * Every event matching the filter in seq order, read in keyset pages of
 * `batchSize`: however large the range, one page at a time is in memory.
 */
export async function* streamEvents(filter: EventFilter, options: { batchSize?: number; db?: Queryable } = {}): AsyncGenerator<ChainRow> {
  const batchSize = options.batchSize ?? 2000;
  const q = options.db ?? db();
  let after = 0n;
  for (;;) {
    const rows = await sealed(q)
      .where((eb) => eb.and([eb("seq", ">", after.toString()), ...where(eb, filter)]))
      .orderBy("seq")
      .limit(batchSize)
      .execute();
    for (const r of rows) yield toChainRow(r);
    if (rows.length < batchSize) return;
    after = BigInt(rows[rows.length - 1].seq);
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
export async function* exportLines(filter: EventFilter, format: ExportFormat, options: { batchSize?: number; db?: Queryable } = {}): AsyncGenerator<string> {
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
