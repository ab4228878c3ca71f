import "server-only";
import http from "node:http";
import https from "node:https";
import { connectUrlProblem, guardedLookup, RefusedError, type OutboundPolicy } from "./url-safety.ts";

// Connections are kept alive between deliveries to the same receiver; the address guard runs on each new connection.
// One pool per policy, so a connection opened under a wider policy is never reused under a narrower one.
const pools = new Map<string, { http: http.Agent; https: https.Agent }>();
function agentsFor(policy: OutboundPolicy) {
  const key = `${policy.allowPrivate}`;
  let agents = pools.get(key);
  if (!agents)
    pools.set(key, (agents = { http: new http.Agent({ keepAlive: true, maxSockets: 50 }), https: new https.Agent({ keepAlive: true, maxSockets: 50 }) }));
  return agents;
}

export interface PostResult {
  ok: boolean;
  status: number | null;
  error: string | null;
}

/**
 * POSTs a JSON body with the given headers. 2xx is success; redirects are not
 * followed (node:http never does; a redirect is a failure, so a receiver
 * cannot bounce us to an internal address); the answer's body is drained and
 * discarded, never stored. The address is checked by `policy` before
 * connecting: an IP literal here, a name in the pinned lookup.
 */
export function postJson(url: string, body: string, headers: Record<string, string>, o: { timeoutMs: number; policy: OutboundPolicy }): Promise<PostResult> {
  const problem = connectUrlProblem(url, o.policy);
  if (problem) return Promise.resolve({ ok: false, status: null, error: `refused: the URL ${problem}` });
  const target = new URL(url);
  const client = target.protocol === "https:" ? https : http;
  return new Promise((resolve) => {
    let settled = false;
    const done = (r: PostResult) => {
      if (!settled) {
        settled = true;
        resolve(r);
      }
    };
    const req = client.request(
      target,
      {
        method: "POST",
        headers: { "content-type": "application/json", "content-length": String(Buffer.byteLength(body)), "user-agent": "Countersign-Webhooks/1", ...headers },
        lookup: guardedLookup(o.policy) as never,
        timeout: o.timeoutMs,
        agent: target.protocol === "https:" ? agentsFor(o.policy).https : agentsFor(o.policy).http,
      },
      (res) => {
        res.resume();
        res.on("end", () => {
          const status = res.statusCode ?? 0;
          const ok = status >= 200 && status < 300;
          done({ ok, status, error: ok ? null : `the receiver answered ${status}` });
        });
        res.on("error", (err) => done({ ok: false, status: res.statusCode ?? null, error: err.message }));
      },
    );
    const timer = setTimeout(() => req.destroy(new Error(`no answer within ${o.timeoutMs} ms`)), o.timeoutMs);
    req.on("timeout", () => req.destroy(new Error(`no answer within ${o.timeoutMs} ms`)));
    req.on("error", (err: NodeJS.ErrnoException) =>
      done({
        ok: false,
        status: null,
        error: err instanceof RefusedError || !err.code || err.message.includes(err.code) ? err.message : `${err.code}: ${err.message}`,
      }),
    );
    req.on("close", () => clearTimeout(timer));
    req.end(body);
  });
}
