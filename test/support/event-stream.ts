/**
 * Reads a server-sent event stream (the dashboard's review stream) over real
 * HTTP, for tests that wait on events or on the stream ending, with bounded
 * timeouts and no sleeps.
 */
export interface StreamEvent {
  event: string;
  data: string;
}

export class EventStreamReader {
  readonly events: StreamEvent[] = [];
  /** Resolves when the server ends the stream (or it breaks). */
  readonly ended: Promise<void>;
  private readonly wakers = new Set<() => void>();
  private done = false;
  private readonly abort = new AbortController();

  private constructor(body: ReadableStream<Uint8Array>) {
    this.ended = this.pump(body).finally(() => {
      this.done = true;
      this.wake();
    });
  }

  private wake(): void {
    for (const w of this.wakers) w();
  }

  /** Opens the stream; `reader` is null when the server answered with something else (then `response` says what). */
  static async open(url: string, cookie: string): Promise<{ response: Response; reader: EventStreamReader | null }> {
    const abort = new AbortController();
    const response = await fetch(url, { headers: { cookie }, signal: abort.signal });
    if (response.status !== 200 || !response.body) return { response, reader: null };
    const reader = new EventStreamReader(response.body);
    reader.abort.signal.addEventListener("abort", () => abort.abort());
    return { response, reader };
  }

  private async pump(body: ReadableStream<Uint8Array>): Promise<void> {
    try {
      for await (const event of serverSentEvents(body)) {
        this.events.push(event);
        this.wake();
      }
    } catch {
      // aborted by close(), or the connection broke: either way the stream ended
    }
  }

  /** The first event (from the start) matching `match`; rejects after `timeoutMs` or if the stream ends first. */
  async waitFor(match: (e: StreamEvent) => boolean, timeoutMs = 10_000): Promise<StreamEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.find(match);
      if (found) return found;
      if (this.done) throw new Error(`the stream ended without the event; saw ${JSON.stringify(this.events)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no such event within ${timeoutMs} ms; saw ${JSON.stringify(this.events)}`);
      await new Promise<void>((resolve) => {
        const waker = () => {
          clearTimeout(timer);
          this.wakers.delete(waker);
          resolve();
        };
        const timer = setTimeout(waker, left);
        this.wakers.add(waker);
      });
    }
  }

  /** Resolves once the server has ended the stream; rejects after `timeoutMs`. */
  async waitForEnd(timeoutMs = 10_000): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the stream was still open after ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([this.ended, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Request events (parsed) seen so far. */
  requests(): { id: string; status: string }[] {
    return this.events.filter((e) => e.event === "request").map((e) => JSON.parse(e.data));
  }

  close(): void {
    this.abort.abort();
  }
}

/** The named events of a server-sent event stream, in order, as they arrive. */
export async function* serverSentEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<StreamEvent> {
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      if (event) yield { event, data: /^data: (.*)$/m.exec(block)?.[1] ?? "" };
    }
  }
}
