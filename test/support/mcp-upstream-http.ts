/**
 * The test upstream over Streamable HTTP (stateless: a fresh server per
 * request, as the SDK's examples do), in the test's own process, so the test
 * reads what reached it directly.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { createUpstreamServer, type UpstreamCall } from "./mcp-upstream.ts";

export interface HttpUpstream {
  url: string;
  calls: UpstreamCall[];
  /** The Authorization header of every request it received. */
  authorizations: (string | undefined)[];
  close(): Promise<void>;
}

export async function startHttpUpstream(): Promise<HttpUpstream> {
  const calls: UpstreamCall[] = [];
  const authorizations: (string | undefined)[] = [];
  const http: Server = createServer(async (req, res) => {
    authorizations.push(req.headers.authorization);
    if (req.method !== "POST") {
      res.writeHead(405).end();
      return;
    }
    const server = createUpstreamServer((call) => calls.push(call));
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on("close", () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res);
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    calls,
    authorizations,
    close: () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}
