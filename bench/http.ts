import http from "node:http";
import { performance } from "node:perf_hooks";

export interface HttpResult {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
  /** performance.now() when the last byte of the response arrived. */
  at: number;
}

/** Keep-alive agents; `maxSockets: Infinity` so thousands of long-waits can be open at once. */
export function keepAliveAgent(): http.Agent {
  return new http.Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 4096 });
}

/**
 * One HTTP request over node:http (no fetch: its pool is not configurable on
 * Node 20 without the undici package). `onSent` fires once the request is
 * fully written to the socket.
 */
export function request(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: unknown; agent: http.Agent; timeoutMs?: number; onSent?: () => void },
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const headers: Record<string, string> = { ...options.headers };
    if (payload !== undefined) {
      headers["content-type"] = "application/json";
      headers["content-length"] = String(Buffer.byteLength(payload));
    }
    const req = http.request(url, { method: options.method ?? "GET", headers, agent: options.agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8"), headers: res.headers, at: performance.now() }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.setTimeout(options.timeoutMs ?? 90_000, () => req.destroy(new Error(`timeout: ${options.method ?? "GET"} ${url}`)));
    if (options.onSent) req.on("finish", options.onSent);
    req.end(payload);
  });
}

export function parseJson<T = Record<string, unknown>>(r: HttpResult): T {
  try {
    return JSON.parse(r.body) as T;
  } catch {
    throw new Error(`expected JSON, got ${r.status}: ${r.body.slice(0, 200)}`);
  }
}
