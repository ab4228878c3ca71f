import "server-only";
import { EventEmitter } from "node:events";
import pg from "pg";
import { pool } from "../db.ts";
import { env } from "../env.ts";
import { logger } from "../logger.ts";
import { CHANNEL, type Change, type ChangeBatch, INSTANCE_ID, type RequestChanged, type SessionsChanged } from "./notify.ts";

export type HubEvent = RequestChanged | { kind: "resync" };

/**
 * The notification hub: one LISTEN connection per app process, fanned out in
 * process. Long-waiting agents and the dashboard's live stream subscribe here,
 * so a decision committed on any instance wakes waiters on every instance
 * without anyone polling the database.
 *
 * If the connection drops, the hub reconnects and emits `resync`, which wakes
 * every waiter so it re-reads the truth instead of missing a notification.
 */
export class NotificationHub {
  private readonly emitter = new EventEmitter();
  /**
   * Subscribers to one request each (long-waiting agents: thousands), apart
   * from the emitter: an emitter keeps one array of listeners per event, so
   * thousands leaving at once (a burst of disconnects) would each search it.
   */
  private readonly requestListeners = new Map<string, Set<(event: HubEvent) => void>>();
  private waiters = 0;
  private client: pg.Client | undefined;
  private connecting: Promise<void> | undefined;
  private closed = false;
  private retryMs = 100;

  constructor(private readonly connectionString: string) {
    this.emitter.setMaxListeners(0);
  }

  /** Resolves once the LISTEN is active, so a subscriber cannot miss a commit that follows. */
  ready(): Promise<void> {
    if (this.client) return Promise.resolve();
    this.connecting ??= this.connect().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.connectionString });
    client.on("notification", (msg) => {
      if (!msg.payload) return;
      try {
        const batch = JSON.parse(msg.payload) as ChangeBatch;
        // This process woke its own waiters when it announced the change.
        if (batch.from === INSTANCE_ID) return;
        for (const change of batch.changes) this.deliver(change);
      } catch {
        logger.warn({ payload: msg.payload.slice(0, 200) }, "ignored malformed notification");
      }
    });
    client.on("error", (err) => this.lost(client, err));
    client.on("end", () => this.lost(client, new Error("connection ended")));
    await client.connect();
    await client.query(`LISTEN ${CHANNEL}`);
    if (this.closed) {
      await client.end().catch(() => {});
      return;
    }
    this.client = client;
    this.retryMs = 100;
  }

  private lost(client: pg.Client, err: Error): void {
    if (this.client !== client) return;
    this.client = undefined;
    client.end().catch(() => {});
    if (this.closed) return;
    logger.warn({ err: err.message }, "notification listener lost; reconnecting");
    this.reconnect();
  }

  /**
   * Tries to listen again, backing off to every 2 s while the database is
   * away, until it succeeds; then wakes every subscriber to re-read what
   * may have changed meanwhile.
   */
  private reconnect(): void {
    const delay = this.retryMs;
    this.retryMs = Math.min(this.retryMs * 2, 2000);
    setTimeout(() => {
      if (this.closed) return;
      this.ready().then(
        () => this.resync(),
        () => this.reconnect(),
      );
    }, delay).unref();
  }

  /**
   * Sends NOTIFY payloads to every instance: on the listening connection when
   * it is up (it is otherwise idle, and never waits behind agents for the
   * pool), else on a pooled one (a CLI process, or while reconnecting).
   */
  async notify(payloads: string[]): Promise<void> {
    const query = { name: "cs_notify_batch", text: "SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p", values: [CHANNEL, payloads] };
    if (this.client) await this.client.query(query);
    else await pool().query(query);
  }

  /** Hands a committed change to this process's subscribers. */
  deliver(change: Change): void {
    if (change.kind === "policy") this.emitter.emit("policy");
    else if (change.kind === "sessions") this.emitter.emit("sessions", change);
    else if (change.kind === "audit") this.emitter.emit("audit");
    else {
      for (const listener of [...(this.requestListeners.get(change.id) ?? [])]) listener(change);
      this.emitter.emit("all", change);
    }
  }

  /** Wakes every subscriber to re-read what may have changed while they could not hear it (or to answer, at shutdown). */
  private resync(): void {
    const event: HubEvent = { kind: "resync" };
    for (const listener of [...this.requestListeners.values()].flatMap((set) => [...set])) listener(event);
    this.emitter.emit("resync");
    this.emitter.emit("all", event);
  }

  /** Subscribe to changes of one request; also fires on resync and shutdown. Returns the unsubscribe function. */
  onRequest(id: string, listener: (event: HubEvent) => void): () => void {
    // A function of its own per subscription, so one listener subscribed twice unsubscribes once each.
    const own = (event: HubEvent) => listener(event);
    let set = this.requestListeners.get(id);
    if (!set) this.requestListeners.set(id, (set = new Set()));
    set.add(own);
    this.waiters++;
    let subscribed = true;
    return () => {
      if (!subscribed) return;
      subscribed = false;
      this.waiters--;
      set.delete(own);
      if (set.size === 0 && this.requestListeners.get(id) === set) this.requestListeners.delete(id);
    };
  }

  /** Subscribe to policy changes (rules, order, default); also fires on resync, when one may have been missed. */
  onPolicyChange(listener: () => void): () => void {
    this.emitter.on("policy", listener);
    this.emitter.on("resync", listener);
    return () => {
      this.emitter.off("policy", listener);
      this.emitter.off("resync", listener);
    };
  }

  /** Subscribe to session changes (sign-out, disable, role or group change) of any user. */
  onSessionsChanged(listener: (event: SessionsChanged) => void): () => void {
    this.emitter.on("sessions", listener);
    return () => this.emitter.off("sessions", listener);
  }

  /** Subscribe to newly sealed audit events (the webhook and SIEM dispatchers); also fires on resync. */
  onAuditSealed(listener: () => void): () => void {
    this.emitter.on("audit", listener);
    this.emitter.on("resync", listener);
    return () => {
      this.emitter.off("audit", listener);
      this.emitter.off("resync", listener);
    };
  }

  /** Subscribe to every request change (the dashboard's live stream). */
  onAny(listener: (event: HubEvent) => void): () => void {
    this.emitter.on("all", listener);
    return () => this.emitter.off("all", listener);
  }

  /** True once the process is shutting down: waiters answer instead of waiting on. */
  isClosed(): boolean {
    return this.closed;
  }

  waiterCount(): number {
    return this.waiters;
  }

  /** Wakes every waiter (they answer with the current state) and closes the connection. */
  async close(): Promise<void> {
    this.closed = true;
    this.resync();
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => {});
  }
}

let current: NotificationHub | undefined;

/** The process's hub, created (and listening) on first use. */
export function hub(): NotificationHub {
  if (!current) {
    const url = env().DATABASE_URL;
    if (!url) throw new Error("DATABASE_URL is not set");
    current = new NotificationHub(url);
  }
  return current;
}

export async function closeHub(): Promise<void> {
  const closing = current;
  current = undefined;
  await closing?.close();
}
