import dgram from "node:dgram";
import net from "node:net";
import { randomBytes } from "node:crypto";
import { Webhook } from "standardwebhooks";
import { afterAll, describe, expect, inject, it } from "vitest";
import { awaitSealed } from "../../lib/audit/sealer.ts";
import { pool } from "../../lib/db.ts";
import type { SiemSinkConfig } from "../../lib/delivery/config.ts";
import { ensureCursor } from "../../lib/delivery/dispatch.ts";
import { forwardToSink } from "../../lib/delivery/siem.ts";
import { parseOctetCounted } from "../../lib/delivery/syslog.ts";
import { closeHub } from "../../lib/events/hub.ts";
import { createPending, newAgent, unique } from "../support/fixtures.ts";
import { freePort, startTestApp } from "../support/test-server.ts";
import { eventually, Receiver } from "./receiver.ts";

afterAll(async () => {
  await closeHub();
});

// <PRI>1 TIMESTAMP HOST APP PROCID MSGID [SD] BOM MSG
const RFC5424 = /^<(\d+)>1 (\S+) (\S+) (\S+) (\S+) (\S+) \[countersign@32473((?: [a-z_]+="(?:[^"\\\]]|\\.)*")+)\] \uFEFF(.*)$/s;

function parseLine(line: string) {
  const m = RFC5424.exec(line);
  if (!m) throw new Error(`not an RFC 5424 message: ${line.slice(0, 200)}`);
  const params = Object.fromEntries([...m[7].matchAll(/ ([a-z_]+)="((?:[^"\\\]]|\\.)*)"/g)].map((p) => [p[1], p[2]]));
  return { pri: Number(m[1]), timestamp: m[2], app: m[4], msgId: m[6], params, event: JSON.parse(m[8]) };
}

async function cursorPosition(id: string): Promise<number> {
  await ensureCursor(id);
  const { rows } = await pool().query("SELECT position FROM delivery_cursors WHERE id = $1", [id]);
  return Number(rows[0].position);
}

/** A TCP syslog receiver reading RFC 6587 octet-counted frames. */
async function tcpListener(port: number) {
  const lines: string[] = [];
  let wake: () => void = () => {};
  const server = net.createServer((socket) => {
    let buffer: Buffer = Buffer.alloc(0);
    socket.on("data", (chunk) => {
      const parsed = parseOctetCounted(Buffer.concat([buffer, chunk]));
      buffer = parsed.rest;
      lines.push(...parsed.messages);
      wake();
    });
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", () => resolve()));
  return {
    lines,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    waitFor: (done: () => boolean) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out; got ${lines.length} messages`)), 30_000);
        wake = () => {
          if (!done()) return;
          clearTimeout(timer);
          resolve();
        };
        wake();
      }),
  };
}

function contiguous(seqs: number[], from: number): void {
  const sorted = [...new Set(seqs)].sort((a, b) => a - b);
  expect(sorted[0]).toBe(from + 1);
  expect(sorted).toEqual(Array.from({ length: sorted.length }, (_, i) => from + 1 + i));
}

describe("SIEM streaming", () => {
  it("forwards every new audit event to syslog over TCP as RFC 5424 with octet counting, waiting out an outage", async () => {
    const port = await freePort();
    const sink: SiemSinkConfig = { kind: "syslog", id: unique("siem:test:tcp"), transport: "tcp", host: "127.0.0.1", port };
    const start = await cursorPosition(sink.id);
    const agent = await newAgent();
    const { id } = await createPending(agent);

    // Nobody listens yet: nothing is lost, the cursor stays and records why.
    expect(await forwardToSink(sink)).toBe(0);
    const { rows } = await pool().query("SELECT position, attempts, last_error, next_attempt_at > now() AS later FROM delivery_cursors WHERE id = $1", [
      sink.id,
    ]);
    expect(rows[0]).toMatchObject({ position: String(start), attempts: 1, later: true });
    expect(rows[0].last_error).toMatch(/ECONNREFUSED/);
    // Not due yet: a second pass now does nothing.
    expect(await forwardToSink(sink)).toBe(0);

    const listener = await tcpListener(port);
    const second = await createPending(agent);
    // SIEM sinks read the chained log: what was just recorded is chained first.
    await awaitSealed();
    const sent = await forwardToSink(sink, { now: new Date(Date.now() + 3600_000) });
    expect(sent).toBeGreaterThanOrEqual(2);
    await listener.waitFor(() => listener.lines.length >= sent);
    const messages = listener.lines.map(parseLine);
    contiguous(
      messages.map((m) => m.event.seq),
      start,
    );
    const created = messages.find((m) => m.event.type === "request.created" && m.event.request_id === id)!;
    expect(created).toMatchObject({
      pri: 13 * 8 + 6,
      app: "countersign",
      msgId: "request.created",
      params: { type: "request.created", request_id: id, agent_id: agent.agentId, seq: String(created.event.seq) },
    });
    expect(created.event).toMatchObject({ actor: `agent:${agent.agentId}`, data: { summary: "Refund $500 to customer cus_123" } });
    expect(created.event.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(messages.some((m) => m.event.request_id === second.id)).toBe(true);
    await listener.close();
  });

  it("sends one datagram per event over UDP", async () => {
    const socket = dgram.createSocket("udp4");
    const datagrams: string[] = [];
    await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", () => resolve()));
    const sink: SiemSinkConfig = { kind: "syslog", id: unique("siem:test:udp"), transport: "udp", host: "127.0.0.1", port: socket.address().port };
    const start = await cursorPosition(sink.id);
    const { id } = await createPending(await newAgent());
    const arrived = new Promise<void>((resolve) =>
      socket.on("message", (msg) => {
        datagrams.push(msg.toString("utf8"));
        if (datagrams.some((d) => d.includes(`request_id="${id}"`))) resolve();
      }),
    );
    await awaitSealed();
    expect(await forwardToSink(sink)).toBeGreaterThanOrEqual(1);
    await arrived;
    const events = datagrams.map(parseLine);
    contiguous(
      events.map((e) => e.event.seq),
      start,
    );
    socket.close();
  });

  it("posts signed JSON batches of at most 100 events over HTTPS, and catches up after the receiver was down", async () => {
    const rx = await Receiver.start();
    await rx.down();
    const secret = `whsec_${randomBytes(32).toString("base64")}`;
    const sink: SiemSinkConfig = { kind: "https", id: unique("siem:test:https"), url: rx.url, secret };
    const start = await cursorPosition(sink.id);
    const agent = await newAgent();
    const ids = (await Promise.all(Array.from({ length: 120 }, () => createPending(agent)))).map((r) => r.id);
    await awaitSealed();

    expect(await forwardToSink(sink)).toBe(0);
    await rx.up();
    const sent = await forwardToSink(sink, { now: new Date(Date.now() + 3600_000) });
    expect(sent).toBeGreaterThanOrEqual(120);
    expect(rx.received.length).toBeGreaterThanOrEqual(2);
    const events = rx.received.flatMap((r) => {
      expect(new Webhook(secret).verify(r.body, r.headers)).toEqual(r.json);
      expect(r.json.type).toBe("audit.events");
      expect(r.json.data.events.length).toBeLessThanOrEqual(100);
      expect(r.headers["webhook-id"]).toBe(`siem_${r.json.data.events[0].seq}_${r.json.data.events.at(-1).seq}`);
      return r.json.data.events;
    });
    contiguous(
      events.map((e: any) => e.seq),
      start,
    );
    const created = new Set(events.filter((e: any) => e.type === "request.created").map((e: any) => e.request_id));
    expect(ids.every((id) => created.has(id))).toBe(true);
    const { rows } = await pool().query("SELECT position, attempts, last_error FROM delivery_cursors WHERE id = $1", [sink.id]);
    expect(rows[0]).toEqual({ position: String(Math.max(...events.map((e: any) => e.seq))), attempts: 0, last_error: null });
    await rx.down();
  });

  it("a second app instance configured by COUNTERSIGN_SIEM_SYSLOG streams events committed by the first as they commit", async () => {
    const port = await freePort();
    const listener = await tcpListener(port);
    const second = await startTestApp(inject("databaseUrl"), { COUNTERSIGN_SIEM_SYSLOG: `tcp://127.0.0.1:${port}` });
    try {
      await eventually(
        () => pool().query("SELECT 1 FROM delivery_cursors WHERE id = $1", [`siem:syslog:tcp://127.0.0.1:${port}`]),
        (r) => r.rowCount === 1,
      );
      // Created through the first app: the second hears the NOTIFY and forwards at once.
      const agent = await newAgent();
      const { id } = await createPending(agent);
      await listener.waitFor(() => listener.lines.some((l) => l.includes(`request_id="${id}"`)));
      const created = listener.lines.map(parseLine).find((m) => m.event.request_id === id)!;
      expect(created.msgId).toBe("request.created");
    } finally {
      await second.stop();
      await listener.close();
    }
  });
});
