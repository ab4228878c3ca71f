import { Countersign, CountersignError, CountersignNetworkError } from "@countersign/sdk";
import { afterAll, describe, expect, it } from "vitest";
import { closeHub } from "../../../lib/events/hub.ts";
import { freePort } from "../../../test/support/test-server.ts";
import { baseUrl, newAgent } from "../../../test/support/fixtures.ts";
import { clientFor, lostResponse, problemResponse, QUICK_RETRY, ruleFor, uniqueAction, wrapFetch } from "./helpers.ts";

afterAll(async () => {
  await closeHub();
});

const ask = (action: string, labels: Record<string, string> = {}) => ({ action, summary: `Test ${action}`, params: { n: 1 }, context: { labels } });

/** A port nothing listens on: connecting is refused for real. */
describe("retries", () => {
  it("reuses the idempotency key when a create's answer is lost: one request, the original returned", async () => {
    const agent = await newAgent();
    const action = uniqueAction();
    await ruleFor(agent, action, "allow");
    const statuses: number[] = [];
    const { fetch, calls } = wrapFetch(async ({ n, real }) => {
      const res = await real();
      statuses.push(res.status);
      // The gateway made the request; the answer never arrives.
      if (n === 1) throw lostResponse();
      return res;
    });
    const result = await clientFor(agent, { fetch, retry: QUICK_RETRY }).requestApproval(ask(action));

    expect(result.status).toBe("approved");
    expect(statuses).toEqual([201, 200]);
    const keys = calls.map((c) => c.headers.get("idempotency-key"));
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(keys[1]).toBe(keys[0]);
    const all = await clientFor(agent).listRequests();
    expect(all.data.map((r) => r.id)).toEqual([result.request.id]);
  });

  it("uses a new key per requestApproval call, and the caller's key when given", async () => {
    const agent = await newAgent();
    const action = uniqueAction();
    await ruleFor(agent, action, "allow");
    const { fetch, calls } = wrapFetch(({ real }) => real());
    const client = clientFor(agent, { fetch });
    await client.requestApproval(ask(action));
    await client.requestApproval(ask(action));
    await client.requestApproval(ask(action), { idempotencyKey: "caller-chosen" });
    const keys = calls.map((c) => c.headers.get("idempotency-key"));
    expect(new Set(keys).size).toBe(3);
    expect(keys[2]).toBe("caller-chosen");
  });

  it("retries 503, 502, 504 and network failures with backoff, then succeeds", async () => {
    const agent = await newAgent();
    const action = uniqueAction();
    await ruleFor(agent, action, "allow");
    const port = await freePort();
    const { fetch, calls } = wrapFetch(async ({ n, url, init, real }) => {
      if (n === 1) return problemResponse(503, "unavailable");
      if (n === 2) return new Response("<html>Bad Gateway</html>", { status: 502, headers: { "content-type": "text/html" } });
      if (n === 3) return globalThis.fetch(url.replace(new URL(url).origin, `http://127.0.0.1:${port}`), init);
      return real();
    });
    const result = await clientFor(agent, { fetch, retry: QUICK_RETRY }).requestApproval(ask(action));
    expect(result.status).toBe("approved");
    expect(calls).toHaveLength(4);
  });

  it("honours Retry-After on 429", async () => {
    const agent = await newAgent();
    const times: number[] = [];
    const { fetch } = wrapFetch(async ({ n, real }) => {
      times.push(Date.now());
      return n === 1 ? problemResponse(429, "rate_limited", { "retry-after": "1" }) : real();
    });
    await clientFor(agent, { fetch, retry: { attempts: 2, minDelayMs: 1, maxDelayMs: 5_000 } }).listRequests();
    expect(times).toHaveLength(2);
    expect(times[1] - times[0]).toBeGreaterThanOrEqual(950);
  });

  it("gives up after the attempts with the last problem, or a network error carrying its cause", async () => {
    const agent = await newAgent();
    const always503 = wrapFetch(async () => problemResponse(503, "unavailable"));
    const error = await clientFor(agent, { fetch: always503.fetch, retry: { attempts: 3, minDelayMs: 1, maxDelayMs: 2 } })
      .listRequests()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CountersignError);
    expect(error).toMatchObject({ status: 503, code: "unavailable" });
    expect(always503.calls).toHaveLength(3);

    const port = await freePort();
    const down = new Countersign({ url: `http://127.0.0.1:${port}`, agentKey: agent.key, retry: { attempts: 2, minDelayMs: 1, maxDelayMs: 2 } });
    const network = await down.listRequests().catch((e: unknown) => e);
    expect(network).toBeInstanceOf(CountersignNetworkError);
    expect((network as Error).message).toMatch(/after 2 attempts.*ECONNREFUSED/);
    expect((network as Error).cause).toBeDefined();
  });

  it("never retries other 4xx answers", async () => {
    const agent = await newAgent();
    const { fetch, calls } = wrapFetch(({ real }) => real());
    const client = clientFor(agent, { fetch, retry: QUICK_RETRY });
    await expect(client.createRequest({ action: "Not An Action", summary: "" })).rejects.toMatchObject({ status: 422 });
    expect(calls).toHaveLength(1);
  });

  it("recovers a retried outcome report whose first answer was lost (the gateway says 409)", async () => {
    const agent = await newAgent();
    const action = uniqueAction();
    await ruleFor(agent, action, "allow");
    const client = clientFor(agent);
    const result = await client.requestApproval(ask(action));
    if (result.status !== "approved" || !result.grant.token) throw new Error("expected a grant");
    await client.redeemGrant(result.grant.token);

    const { fetch, calls } = wrapFetch(async ({ n, real }) => {
      const res = await real();
      if (n === 1) throw lostResponse();
      return res;
    });
    const reported = await clientFor(agent, { fetch, retry: QUICK_RETRY }).reportOutcome(result.request.id, { status: "succeeded", detail: "done" });
    expect(reported.outcome).toMatchObject({ status: "succeeded", detail: "done" });
    expect(calls.map((c) => c.method)).toEqual(["POST", "POST", "GET"]);
    // A real second report is still refused.
    await expect(client.reportOutcome(result.request.id, { status: "failed" })).rejects.toMatchObject({ status: 409, code: "conflict" });
  });
});

describe("errors", () => {
  it("validation_failed carries the field errors", async () => {
    const agent = await newAgent();
    const error = await clientFor(agent)
      .createRequest({ action: uniqueAction(), summary: "" }, {})
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CountersignError);
    const e = error as CountersignError;
    expect(e).toMatchObject({ name: "CountersignError", status: 422, code: "validation_failed" });
    expect(e.errors.some((f) => f.path === "summary")).toBe(true);
    expect(e.problem).toMatchObject({ status: 422, code: "validation_failed", type: expect.any(String), title: expect.any(String) });
    expect(e.message).toMatch(/^422 validation_failed: .*summary/);
  });

  it("refuses unknown fields (the server is the authority; the client passes them on)", async () => {
    const agent = await newAgent();
    const input = { action: uniqueAction(), summary: "x", sumary: "typo" } as unknown as Parameters<Countersign["createRequest"]>[0];
    await expect(clientFor(agent).createRequest(input)).rejects.toMatchObject({ code: "validation_failed" });
  });

  it("a bad agent key is unauthenticated", async () => {
    const client = new Countersign({ url: baseUrl(), agentKey: "csk_nope_nothingtoseehere", retry: QUICK_RETRY });
    await expect(client.listRequests()).rejects.toMatchObject({ name: "CountersignError", status: 401, code: "unauthenticated" });
  });

  it("an answer that is not a problem still gives a clear CountersignError (a wrong URL, a proxy page)", async () => {
    const agent = await newAgent();
    const wrong = new Countersign({ url: `${baseUrl()}/not-countersign`, agentKey: agent.key });
    const error = (await wrong.listRequests().catch((e: unknown) => e)) as CountersignError;
    expect(error).toBeInstanceOf(CountersignError);
    expect(error.status).toBe(404);
    expect(error.code).toBe("not_found");
    expect(error.message).toMatch(/not a Countersign problem/);

    const html = wrapFetch(async () => new Response("<html><body>Welcome to nginx</body></html>", { status: 200, headers: { "content-type": "text/html" } }));
    const odd = (await clientFor(agent, { fetch: html.fetch })
      .listRequests()
      .catch((e: unknown) => e)) as CountersignError;
    expect(odd).toBeInstanceOf(CountersignError);
    expect(odd).toMatchObject({ status: 200, code: "unexpected_response" });
    expect(odd.message).toMatch(/text\/html.*nginx/);
  });
});
