import type { RequestHandlerExtra } from "@modelcontextprotocol/sdk/shared/protocol.js";
import type { Progress, ServerNotification, ServerRequest } from "@modelcontextprotocol/sdk/types.js";

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

const HEARTBEAT_MS = 15_000;

/**
 * Progress notifications for one tool call, sent only when the caller asked
 * for them (`_meta.progressToken`). `progress` must increase with every
 * notification, so heartbeats and forwarded progress share one counter.
 */
export class ProgressReporter {
  private readonly token: string | number | undefined;
  private progress = 0;
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly extra: Extra) {
    this.token = extra._meta?.progressToken;
  }

  send(message: string): void {
    if (this.token === undefined) return;
    this.progress += 1;
    const params = { progressToken: this.token, progress: this.progress, message };
    this.extra.sendNotification({ method: "notifications/progress", params }).catch(() => {});
  }

  /**
   * While a call waits for a person, tell the caller that it is alive, so
   * clients that reset their request timeout on progress do not give up on a
   * long wait. Returns the function that stops it.
   */
  heartbeat(message: string): () => void {
    if (this.token === undefined) return () => {};
    this.send(message);
    const timer = setInterval(() => this.send(message), HEARTBEAT_MS);
    this.timer = timer;
    return () => {
      clearInterval(timer);
      if (this.timer === timer) this.timer = undefined;
    };
  }

  /** Passes on progress another server reported for work done on this call's behalf (renumbered: ours must keep increasing). */
  forward(upstream: Progress): void {
    const share = upstream.total ? ` (${upstream.progress} of ${upstream.total})` : "";
    this.send(`${upstream.message ?? "The tool is working"}${share}`);
  }
}

/** A heartbeat on its own (see ProgressReporter.heartbeat). */
export function heartbeat(extra: Extra, message: string): () => void {
  return new ProgressReporter(extra).heartbeat(message);
}
