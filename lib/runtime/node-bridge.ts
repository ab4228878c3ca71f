import "server-only";
import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";
import { CLIENT_ADDRESS_HEADER } from "../http/client-address.ts";
import { API_CSP, SECURITY_HEADERS } from "../http/security-headers.ts";

const API_HEADERS = [...SECURITY_HEADERS, { key: "Content-Security-Policy", value: API_CSP }];

/**
 * A Web Request for a Node request: the body streams (the route's reader
 * enforces its size limit), the signal fires when the client goes away (ends
 * a long-wait early), and the client address is the socket's, replacing any
 * the client sent under that name.
 */
export function toWebRequest(req: IncomingMessage, res: ServerResponse, origin: string): Request {
  const aborted = new AbortController();
  res.once("close", () => {
    if (!res.writableFinished) aborted.abort();
  });
  const headers = new Headers();
  for (let i = 0; i < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i], req.rawHeaders[i + 1]);
  headers.set(CLIENT_ADDRESS_HEADER, req.socket.remoteAddress ?? "unknown");
  const hasBody = req.method !== "GET" && req.method !== "HEAD";
  return new Request(origin + req.url, {
    method: req.method,
    headers,
    body: hasBody ? (Readable.toWeb(req) as ReadableStream<Uint8Array>) : undefined,
    signal: aborted.signal,
    // @ts-expect-error: Node's fetch needs `duplex` for a streamed body; the DOM types do not know it.
    duplex: "half",
  });
}

function writeHead(res: ServerResponse, response: Response): void {
  for (const { key, value } of API_HEADERS) res.setHeader(key, value);
  const cookies = response.headers.getSetCookie();
  response.headers.forEach((value, key) => {
    if (key !== "set-cookie") res.setHeader(key, value);
  });
  if (cookies.length) res.setHeader("set-cookie", cookies);
}

/**
 * Writes a Web Response, with the API's security headers, to a Node
 * response. Buffered answers go out in one write with their length; streams
 * (server-sent events, exports) are piped as they are produced.
 */
export async function sendResponse(res: ServerResponse, response: Response, options: { stream?: boolean } = {}): Promise<void> {
  if (options.stream && response.body) {
    writeHead(res, response);
    res.writeHead(response.status);
    const body = Readable.fromWeb(response.body as import("node:stream/web").ReadableStream);
    res.once("close", () => body.destroy());
    body.pipe(res);
    return;
  }
  const body = Buffer.from(await response.arrayBuffer());
  if (res.destroyed) return;
  writeHead(res, response);
  res.setHeader("content-length", body.byteLength);
  res.writeHead(response.status);
  res.end(body);
}
