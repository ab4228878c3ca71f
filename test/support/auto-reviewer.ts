/**
 * A reviewer stand-in for tests of clients that block on a human (SDKs, the MCP
 * server, the examples): it signs in like a person would, follows the
 * dashboard's live stream, and decides every pending request of one agent
 * through the public decision endpoint.
 *
 * What it decides comes from the request itself, so a client under test (in
 * any language) can steer it: `context.labels.test_decision` is `approve`
 * (the default), `deny`, or `wait` (leave it pending); with `test_amend`
 * (a JSON object, e.g. `{"amount":450}`) an approval amends those params
 * (merged over the request's own; the rule must let reviewers edit them).
 */
import { serverSentEvents } from "./event-stream.ts";

export interface Decided {
  id: string;
  decision: "approve" | "deny";
  /** The decision endpoint's answer (0 while it is on its way). */
  status: number;
}

export interface AutoReviewer {
  /** Every decision it made, in order. */
  readonly decided: Decided[];
  /** Resolves once every decision it has sent has been answered. */
  settled(): Promise<void>;
  stop(): Promise<void>;
}

interface ReviewRequest {
  id: string;
  status: string;
  agent: { id: string };
  params?: Record<string, unknown>;
  context?: { labels?: Record<string, string> };
}

export async function startAutoReviewer(options: { baseUrl: string; cookie: string; agentId: string }): Promise<AutoReviewer> {
  const { baseUrl, cookie, agentId } = options;
  const headers = { cookie, origin: baseUrl };
  const decided: Decided[] = [];
  const seen = new Set<string>();
  const inflight: Promise<void>[] = [];
  const abort = new AbortController();

  const review = async (id: string) => {
    if (seen.has(id)) return;
    seen.add(id);
    const res = await fetch(`${baseUrl}/api/v1/review/requests/${id}`, { headers, signal: abort.signal });
    if (!res.ok) return;
    const request = (await res.json()) as ReviewRequest;
    if (request.agent.id !== agentId || request.status !== "pending") return;
    const wanted = request.context?.labels?.test_decision ?? "approve";
    if (wanted !== "approve" && wanted !== "deny") return;
    const decision = wanted;
    const amend = decision === "approve" ? request.context?.labels?.test_amend : undefined;
    const params = amend ? { ...request.params, ...(JSON.parse(amend) as Record<string, unknown>) } : undefined;
    const reason = decision === "deny" ? "Denied by the test reviewer" : amend ? "Amended by the test reviewer" : "Approved by the test reviewer";
    // Recorded before it is sent, so whoever sees the decision take effect also finds it here.
    const entry: Decided = { id, decision, status: 0 };
    decided.push(entry);
    const sent = fetch(`${baseUrl}/api/v1/requests/${id}/decisions`, {
      method: "POST",
      headers: { ...headers, "content-type": "application/json" },
      body: JSON.stringify({ decision, reason, ...(params && { params }) }),
      signal: abort.signal,
    }).then((answer) => {
      entry.status = answer.status;
    });
    inflight.push(sent);
    await sent;
  };

  // Catch up on anything created before the stream was open.
  const sweep = async () => {
    const res = await fetch(`${baseUrl}/api/v1/review/requests?status=pending&limit=100`, { headers, signal: abort.signal });
    if (!res.ok) throw new Error(`auto-reviewer could not list the queue: ${res.status}`);
    const { data } = (await res.json()) as { data: ReviewRequest[] };
    for (const r of data) if (r.agent.id === agentId) await review(r.id);
  };

  const stream = await fetch(`${baseUrl}/api/v1/review/stream`, { headers, signal: abort.signal });
  if (!stream.ok || !stream.body) throw new Error(`auto-reviewer could not open the stream: ${stream.status}`);

  let ready!: () => void;
  const isReady = new Promise<void>((resolve) => (ready = resolve));
  const pump = (async () => {
    try {
      for await (const { event, data } of serverSentEvents(stream.body as ReadableStream<Uint8Array>)) {
        if (event === "ready") {
          await sweep();
          ready();
        } else if (event === "resync") {
          await sweep();
        } else if (event === "request" && data) {
          const { id, status } = JSON.parse(data) as { id: string; status: string };
          if (status === "pending") await review(id);
        }
      }
    } catch (error) {
      if (!abort.signal.aborted) throw error;
    }
  })();
  pump.catch(() => {});
  await isReady;

  return {
    decided,
    async settled() {
      await Promise.all(inflight);
    },
    async stop() {
      abort.abort();
      await pump.catch(() => {});
    },
  };
}
