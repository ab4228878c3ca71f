import { performance } from "node:perf_hooks";
import { generateBodies } from "../bench/bodies.ts";
import { keepAliveAgent, type HttpResult } from "../bench/http.ts";
import { sleep } from "../bench/stats.ts";
import { send, type Traffic } from "./traffic.ts";

/** A request the API acknowledged (201): it must exist afterwards, whatever happened to the app or the database. */
export interface Acked {
  id: string;
  /** Index of the agent (and key) that made it. */
  agent: number;
  /** The instance that answered. */
  url: string;
  status: string;
  at: number;
}

export interface CreateLoad {
  acked: Acked[];
  /** Round trip of each 201, ms. */
  latencies: number[];
  /** Stops every connection after its current call; resolves when all have stopped. */
  stop(): Promise<void>;
}

/** The varied bodies of bench/bodies.ts (one fixed seed), as objects. */
let pool: Record<string, unknown>[] | undefined;
export const bodies = () => (pool ??= generateBodies(4096));

/** How long a connection pauses after a refusal (429/503) or a failed connection before its next call. */
const PAUSE_MS = 100;

/**
 * Closed-loop creates at the maximum rate: `connections` loops, each
 * sending its next `POST /api/v1/requests` as soon as the last one answered,
 * with the next agent key and the next body of the pool. Connection i talks
 * to `urls[i % urls.length]`. A 429 or 503 is not acknowledged (the caller
 * would retry); the loop pauses briefly after it, and after a failed
 * connection, instead of spinning. Every answer is counted in `traffic`.
 */
export function startCreates(o: { urls: string[]; keys: string[]; connections: number; traffic: Traffic; onCreated?: (a: Acked) => void }): CreateLoad {
  const agent = keepAliveAgent();
  const list = bodies();
  const acked: Acked[] = [];
  const latencies: number[] = [];
  let stopped = false;
  let next = 0;
  const loops = Array.from({ length: o.connections }, async (_, c) => {
    const url = o.urls[c % o.urls.length];
    while (!stopped) {
      const n = next++;
      const k = n % o.keys.length;
      const t0 = performance.now();
      let res: HttpResult;
      try {
        res = await send(o.traffic, "create", `${url}/api/v1/requests`, {
          method: "POST",
          agent,
          headers: { authorization: `Bearer ${o.keys[k]}` },
          body: list[n % list.length],
          timeoutMs: 30_000,
        });
      } catch {
        await sleep(PAUSE_MS);
        continue;
      }
      if (res.status === 201) {
        const body = JSON.parse(res.body) as { id: string; status: string };
        const a = { id: body.id, agent: k, url, status: body.status, at: res.at };
        acked.push(a);
        latencies.push(res.at - t0);
        o.onCreated?.(a);
      } else if (res.status === 429 || res.status === 503) await sleep(PAUSE_MS);
    }
  });
  return {
    acked,
    latencies,
    async stop() {
      stopped = true;
      await Promise.all(loops);
      agent.destroy();
    },
  };
}
