import "server-only";
import dgram from "node:dgram";
import net from "node:net";
import { hostname } from "node:os";
import { sql } from "kysely";
import { type Trx, transact } from "../db.ts";
import { deliveryConfig, type DeliveryConfig, type HttpsSinkConfig, type SiemSinkConfig, type SyslogSinkConfig } from "./config.ts";
import { lockCursor } from "./dispatch.ts";
import { postJson } from "./http-post.ts";
import { formatSyslog, frameOctetCounting } from "./syslog.ts";
import { addressProblem, guardedLookup, resolveChecked, type OutboundPolicy } from "./url-safety.ts";
import { signedHeaders } from "./worker.ts";

/** The private enterprise number RFC 5424 reserves for examples; our SD-ID is `countersign@32473`. */
export const SD_ID = "countersign@32473";
const BATCH = 100;

/** An audit event exactly as stored, hashes included, so a SIEM can check the chain itself. */
export interface SiemEvent {
  seq: number;
  type: string;
  actor: string;
  request_id: string | null;
  agent_id: string | null;
  data: unknown;
  occurred_at: string;
  prev_hash: string;
  hash: string;
}

async function readEvents(trx: Trx, position: string): Promise<SiemEvent[]> {
  const rows = await trx
    .selectFrom("auditEvents")
    .selectAll()
    .where("seq", ">", position)
    .orderBy("seq")
    .limit(BATCH)
    // Only sealed events have a seq: their links are set.
    .$narrowType<{ seq: string; prevHash: string; hash: string }>()
    .execute();
  // The stored event under the names the SIEM sees (the columns'), in the columns' order.
  return rows.map((r) => ({
    seq: Number(r.seq),
    type: r.type,
    actor: r.actor,
    request_id: r.requestId,
    agent_id: r.agentId,
    data: r.data,
    occurred_at: r.occurredAt.toISOString(),
    prev_hash: r.prevHash,
    hash: r.hash,
  }));
}

/** One RFC 5424 message per event: facility 13 (log audit), severity 6 (informational); MSGID is the event type. */
export function syslogLine(e: SiemEvent, host = hostname()): string {
  const params: Record<string, string> = { seq: String(e.seq), type: e.type, actor: e.actor, hash: e.hash };
  if (e.request_id) params.request_id = e.request_id;
  if (e.agent_id) params.agent_id = e.agent_id;
  return formatSyslog({
    facility: 13,
    severity: 6,
    timestamp: new Date(e.occurred_at),
    hostname: host,
    appName: "countersign",
    procId: String(process.pid),
    msgId: e.type,
    structuredData: { [SD_ID]: params },
    message: JSON.stringify(e),
  });
}

function sendTcp(sink: SyslogSinkConfig, lines: string[], config: DeliveryConfig): Promise<void> {
  const timeoutMs = config.timeoutMs;
  const problem = addressProblem(sink.host, config.destinations);
  if (problem) return Promise.reject(new Error(`refused: ${problem}`));
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: sink.host, port: sink.port, lookup: guardedLookup(config.destinations) as never });
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`syslog receiver did not accept within ${timeoutMs} ms`)));
    socket.once("error", reject);
    socket.once("connect", () => socket.end(Buffer.concat(lines.map(frameOctetCounting))));
    // Closed without error after our FIN: the receiver has read the whole batch off the connection.
    socket.once("close", (hadError) => (hadError ? undefined : resolve()));
    socket.resume();
  });
}

async function sendUdp(sink: SyslogSinkConfig, lines: string[], policy: OutboundPolicy): Promise<void> {
  // Resolved and checked once per batch; every datagram goes to that address.
  const { address, family } = await resolveChecked(sink.host, policy);
  const socket = dgram.createSocket(family === 6 ? "udp6" : "udp4");
  try {
    for (const line of lines) {
      await new Promise<void>((resolve, reject) => socket.send(Buffer.from(line, "utf8"), sink.port, address, (err) => (err ? reject(err) : resolve())));
    }
  } finally {
    socket.close();
  }
}

async function sendHttps(sink: HttpsSinkConfig, events: SiemEvent[], config: DeliveryConfig): Promise<void> {
  const body = JSON.stringify({ type: "audit.events", timestamp: new Date().toISOString(), data: { events } });
  // The batch's id names its range, so a retried batch keeps its id and receivers can deduplicate.
  const id = `siem_${events[0].seq}_${events[events.length - 1].seq}`;
  const result = await postJson(sink.url, body, signedHeaders(sink.secret, id, body), { timeoutMs: config.timeoutMs, policy: config.destinations });
  if (!result.ok) throw new Error(result.error ?? "delivery failed");
}

/**
 * Forwards the audit events after this sink's cursor, in batches of up to 100,
 * advancing the cursor only after the sink took the batch, in the same
 * transaction that holds the cursor row (SKIP LOCKED: one instance at a time).
 * A failed batch leaves the cursor where it was and backs off (5 s doubling to
 * 5 min, never giving up): an outage delays events but loses none. After a
 * crash between sending and committing, the batch is sent again (at-least-once;
 * events carry `seq` to deduplicate by). UDP cannot tell whether anything
 * arrived: use TCP or HTTPS when delivery matters.
 */
export async function forwardToSink(sink: SiemSinkConfig, o: { now?: Date; config?: DeliveryConfig } = {}): Promise<number> {
  const config = o.config ?? deliveryConfig();
  const now = o.now ?? new Date();
  let total = 0;
  for (;;) {
    const sent = await transact(async (trx) => {
      const cursor = await lockCursor(trx, sink.id, now);
      if (!cursor) return 0;
      const events = await readEvents(trx, cursor.position);
      if (events.length === 0) return 0;
      try {
        if (sink.kind === "https") await sendHttps(sink, events, config);
        else if (sink.transport === "tcp")
          await sendTcp(
            sink,
            events.map((e) => syslogLine(e)),
            config,
          );
        else
          await sendUdp(
            sink,
            events.map((e) => syslogLine(e)),
            config.destinations,
          );
      } catch (err) {
        await trx
          .updateTable("deliveryCursors")
          .set({
            attempts: sql`attempts + 1`,
            lastError: (err as Error).message.slice(0, 500),
            updatedAt: sql`now()`,
            nextAttemptAt: sql`${now}::timestamptz + least(interval '5 seconds' * power(2, attempts), interval '5 minutes')`,
          })
          .where("id", "=", sink.id)
          .execute();
        return -1;
      }
      await trx
        .updateTable("deliveryCursors")
        .set({ position: String(events[events.length - 1].seq), attempts: 0, lastError: null, nextAttemptAt: sql`now()`, updatedAt: sql`now()` })
        .where("id", "=", sink.id)
        .execute();
      return events.length;
    });
    if (sent <= 0) return total;
    total += sent;
    if (sent < BATCH) return total;
  }
}
