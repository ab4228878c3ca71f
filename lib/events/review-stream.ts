import "server-only";
import { findLiveSession } from "../auth/sessions.ts";
import { db } from "../db.ts";
import { env } from "../env.ts";
import { AppError } from "../errors.ts";
import { metrics } from "../metrics.ts";
import { reviewerGroupNames } from "../requests/decide-request.ts";
import { visibleToReviewer } from "../requests/list-requests.ts";
import { hub, type HubEvent, type NotificationHub } from "./hub.ts";
import type { SessionsChanged } from "./notify.ts";
import type { Role } from "../users/roles.ts";

/** Who a stream is for, as authorised when it opened. */
export interface StreamViewer {
  userId: string;
  sessionId: string;
  role: Role;
  /** The reviewer groups the user belonged to when the stream opened (a change closes the stream). */
  groups: string[];
}

interface OpenStream {
  viewer: StreamViewer;
  send(chunk: string): void;
  close(): void;
}

/** Requests whose reviewer groups are kept in memory; a request's groups never change once it exists. */
const GROUPS_CACHE_SIZE = 10_000;
const HEARTBEAT_MS = 20_000;

/**
 * The dashboard's live streams on this instance. One subscription to the hub
 * serves them all: each request event is checked against each stream's
 * viewer (reviewers see only requests open to anyone or routed to one of
 * their groups), reading that request's groups once per instance, not once
 * per stream. A sessions notification (sign-out, disable, role or group
 * change) closes the user's streams; they reconnect and are authorised anew.
 */
class ReviewStreams {
  private readonly byUser = new Map<string, Set<OpenStream>>();
  private readonly groupsCache = new Map<string, Promise<string[] | null>>();
  // Events are delivered one after another, in the order the hub saw them.
  private queue: Promise<void> = Promise.resolve();
  private subscribedTo: NotificationHub | undefined;
  private unsubscribe = () => {};

  /** Registers an open stream; over the per-user cap it throws 429 instead. Returns the removal function. */
  add(stream: OpenStream): () => void {
    const cap = env().COUNTERSIGN_STREAMS_PER_USER;
    const streams = this.byUser.get(stream.viewer.userId) ?? new Set<OpenStream>();
    if (streams.size >= cap) {
      throw new AppError("rate_limited", `at most ${cap} live streams per user; close another dashboard tab and try again`, { retryAfterSeconds: 10 });
    }
    streams.add(stream);
    this.byUser.set(stream.viewer.userId, streams);
    metrics().reviewStreams.inc();
    this.subscribe();
    return () => {
      if (!streams.delete(stream)) return;
      metrics().reviewStreams.dec();
      if (streams.size === 0) this.byUser.delete(stream.viewer.userId);
    };
  }

  private subscribe(): void {
    const h = hub();
    if (this.subscribedTo === h) return;
    this.unsubscribe();
    const offAny = h.onAny((event) => {
      this.queue = this.queue.then(() => this.deliver(event)).catch(() => {});
    });
    const offSessions = h.onSessionsChanged((event) => this.sessionsChanged(event));
    this.subscribedTo = h;
    this.unsubscribe = () => {
      offAny();
      offSessions();
    };
  }

  private all(): OpenStream[] {
    return [...this.byUser.values()].flatMap((s) => [...s]);
  }

  private async deliver(event: HubEvent): Promise<void> {
    const streams = this.all();
    if (streams.length === 0) return;
    if (event.kind === "resync") {
      // Notifications may have been missed, a sessions one among them: every
      // stream closes and reconnects through the session check.
      for (const s of streams) s.close();
      return;
    }
    const groups = streams.some((s) => s.viewer.role === "reviewer") ? await this.requestGroups(event.id) : [];
    const chunk = `event: request\ndata: ${JSON.stringify({ id: event.id, status: event.status })}\n\n`;
    for (const s of streams) {
      // Groups unknown (database unavailable): tell the stream to refetch through the authorised endpoints instead.
      if (groups === null && s.viewer.role === "reviewer") s.send(`event: resync\ndata: {}\n\n`);
      else if (visibleToReviewer({ reviewerGroups: groups ?? [] }, s.viewer.role, s.viewer.groups)) s.send(chunk);
    }
  }

  /** A request's reviewer groups, read at most once per instance while cached (concurrent reads share one query). */
  private requestGroups(id: string): Promise<string[] | null> {
    let groups = this.groupsCache.get(id);
    if (!groups) {
      metrics().streamGroupLookups.inc();
      groups = db()
        .selectFrom("actionRequests")
        .select("reviewerGroups")
        .where("id", "=", id)
        .executeTakeFirst()
        .then((row) => row?.reviewerGroups ?? null)
        .catch(() => null);
      this.groupsCache.set(id, groups);
      if (this.groupsCache.size > GROUPS_CACHE_SIZE) this.groupsCache.delete(this.groupsCache.keys().next().value!);
      void groups.then((g) => {
        if (g === null) this.groupsCache.delete(id);
      });
    }
    return groups;
  }

  private sessionsChanged(event: SessionsChanged): void {
    for (const s of this.byUser.get(event.user_id) ?? []) {
      if (!event.session_id || s.viewer.sessionId === event.session_id) s.close();
    }
  }
}

let streams: ReviewStreams | undefined;

function reviewStreams(): ReviewStreams {
  streams ??= new ReviewStreams();
  return streams;
}

/**
 * Opens a dashboard event stream for `viewer`: `ready` at once, then
 * `request` events for what the viewer may see, `resync` when they should
 * refetch everything, and a comment line every 20 s. It ends when the client
 * goes away, or when the viewer's session is signed out or changed.
 */
export async function openReviewStream(session: { userId: string; sessionId: string }, signal: AbortSignal): Promise<ReadableStream<Uint8Array>> {
  await hub().ready();
  // Until its rights are read below, the stream counts as a reviewer in no group (the least it may see).
  const viewer: StreamViewer = { ...session, role: "reviewer", groups: [] };
  const encoder = new TextEncoder();
  let controller: ReadableStreamDefaultController<Uint8Array> | undefined;
  let heartbeat: ReturnType<typeof setInterval> | undefined;
  let closed = false;
  const entry: OpenStream = {
    viewer,
    send(chunk) {
      if (closed) return;
      try {
        controller?.enqueue(encoder.encode(chunk));
      } catch {
        entry.close();
      }
    },
    close() {
      if (closed) return;
      closed = true;
      clearInterval(heartbeat);
      remove();
      try {
        controller?.close();
      } catch {
        // already closed by the client
      }
    },
  };
  const remove = reviewStreams().add(entry);
  // Read after registering, so a sign-out or change committed meanwhile is either seen here or closes the stream.
  try {
    const [live, groups] = await Promise.all([findLiveSession(session.sessionId), reviewerGroupNames(db(), session.userId)]);
    if (!live || live.userId !== session.userId) throw new AppError("unauthenticated", "sign in first");
    viewer.role = live.role;
    viewer.groups = groups;
  } catch (err) {
    remove();
    throw err;
  }
  return new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
      if (closed) return c.close();
      heartbeat = setInterval(() => entry.send(`: keep-alive\n\n`), HEARTBEAT_MS);
      signal.addEventListener("abort", () => entry.close(), { once: true });
      if (signal.aborted) entry.close();
      entry.send(`retry: 2000\nevent: ready\ndata: {}\n\n`);
    },
    cancel() {
      entry.close();
    },
  });
}
