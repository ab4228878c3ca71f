import http from "node:http";
import { freePort } from "../support/test-server.ts";

export interface Received {
  headers: Record<string, string>;
  body: string;
  json: any;
}

/**
 * A real HTTP receiver for webhooks on 127.0.0.1. It can be taken down (the
 * port refuses connections) and brought back on the same port, or told to
 * answer an error status. `waitFor` resolves when a received message matches.
 */
export class Receiver {
  readonly received: Received[] = [];
  status = 200;
  private server: http.Server | undefined;
  private waiters: { match: (r: Received[]) => boolean; resolve: () => void }[] = [];

  private constructor(readonly port: number) {}

  static async start(): Promise<Receiver> {
    const r = new Receiver(await freePort());
    await r.up();
    return r;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hook`;
  }

  async up(): Promise<void> {
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        res.writeHead(this.status).end();
        if (this.status >= 300) return;
        const body = Buffer.concat(chunks).toString("utf8");
        this.received.push({ headers: req.headers as Record<string, string>, body, json: JSON.parse(body) });
        this.check();
      });
    });
    await new Promise<void>((resolve, reject) => server.once("error", reject).listen(this.port, "127.0.0.1", () => resolve()));
    this.server = server;
  }

  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private check(): void {
    this.waiters = this.waiters.filter((w) => {
      if (!w.match(this.received)) return true;
      w.resolve();
      return false;
    });
  }

  /** Resolves once `match` holds for what arrived so far; fails after `timeoutMs`. */
  waitFor(match: (received: Received[]) => boolean, timeoutMs = 30_000, what = "the expected webhooks"): Promise<void> {
    if (match(this.received)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`timed out waiting for ${what}; got ${this.received.length}: ${this.received.map((r) => r.json.type).join(", ")}`)),
        timeoutMs,
      );
      this.waiters.push({
        match,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  forRequest(id: string): Received[] {
    return this.received.filter((r) => r.json.data?.request?.id === id);
  }
}

/** Polls `read` until `done` holds (for database state that has no event to wait on), failing after `timeoutMs`. */
export async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms: ${JSON.stringify(value).slice(0, 500)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
