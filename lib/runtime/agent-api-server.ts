import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";
import { matchAgentRoute } from "../http/agent-routes.ts";
import { CLIENT_ADDRESS_HEADER } from "../http/client-address.ts";
import { toProblem } from "../http/problem.ts";
import { API_CSP, SECURITY_HEADERS } from "../http/security-headers.ts";

const HEADERS = [...SECURITY_HEADERS, { key: "Content-Security-Policy", value: API_CSP }];

/**
 * Serves the machine-facing API (agents, executors, health) straight from the
 * Node server with the same handlers Next.js would run, but without Next's
 * routing, rewrites and header matching, which cost more CPU per call than the
 * handler itself (measured: README, Benchmarks). Returns false for any other
 * path, which Next.js then serves.
 */
export function serveAgentApi(req: IncomingMessage, res: ServerResponse, origin: string): boolean {
  const qs = req.url?.indexOf("?") ?? -1;
  const pathname = qs === -1 ? (req.url ?? "/") : req.url!.slice(0, qs);
  const route = matchAgentRoute(req.method ?? "GET", pathname);
  if (!route) return false;

  // The handler's signal fires when the client goes away (ends a long-wait early).
  const aborted = new AbortController();
  res.once("close", () => {
    if (!res.writableFinished) aborted.abort();
  });
  const headers = new Headers();
  for (let i = 0; i < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i], req.rawHeaders[i + 1]);
  // The socket address, replacing any the client sent under that name.
  headers.set(CLIENT_ADDRESS_HEADER, req.socket.remoteAddress ?? "unknown");
  const hasBody = req.method !== "GET" && req.method !== "HEAD";
  const request = new Request(origin + req.url, {
    method: req.method,
    headers,
    body: hasBody ? (Readable.toWeb(req) as ReadableStream<Uint8Array>) : undefined,
    signal: aborted.signal,
    // @ts-expect-error: Node's fetch needs `duplex` for a streamed body; the DOM types do not know it.
    duplex: "half",
  });

  void route
    .handler(request, { params: Promise.resolve(route.params) })
    .catch(toProblem)
    .then((response) => sendResponse(res, response))
    .catch(() => res.destroy());
  return true;
}

/** Writes a Web Response, with the API's security headers, to a Node response. */
export async function sendResponse(res: ServerResponse, response: Response): Promise<void> {
  const body = Buffer.from(await response.arrayBuffer());
  if (res.destroyed) return;
  for (const { key, value } of HEADERS) res.setHeader(key, value);
  response.headers.forEach((value, key) => res.setHeader(key, value));
  res.setHeader("content-length", body.byteLength);
  res.writeHead(response.status);
  res.end(body);
}
