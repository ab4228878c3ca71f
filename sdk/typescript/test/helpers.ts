import { Countersign, type CountersignOptions } from "@countersign/sdk";
import { createRule } from "../../../lib/policy/rules.ts";
import { baseUrl, unique, type TestAgent } from "../../../test/support/fixtures.ts";

/** A client for `agent` against the test app. */
export function clientFor(agent: TestAgent, options: CountersignOptions = {}): Countersign {
  return new Countersign({ url: baseUrl(), agentKey: agent.key, ...options });
}

/** Fast retries, so tests of the retry paths do not sit in backoff. */
export const QUICK_RETRY = { attempts: 4, minDelayMs: 1, maxDelayMs: 5 };

/** A unique action name, so rules (global to the test app) and requests of one test never meet another's. */
export const uniqueAction = (prefix = "sdk") => `${prefix}.${unique("act").replace("-", "_")}`;

/**
 * A rule that allows (or denies) `action` for `agent` only. Added last: other
 * suites add theirs first and select their own agents, and a policy import
 * elsewhere drops only rules it read at the top.
 */
export async function ruleFor(agent: TestAgent, action: string, effect: "allow" | "deny", extra: Record<string, unknown> = {}): Promise<string> {
  const { ruleId } = await createRule({
    definition: { name: unique("sdk-rule"), agents: { names: [agent.name] }, actions: [action], effect, ...extra },
    actor: "test",
  });
  return ruleId;
}

/** Wraps the real fetch: `intercept` sees every call and may answer it itself. */
export function wrapFetch(intercept: (call: { n: number; url: string; init: RequestInit; real: () => Promise<Response> }) => Promise<Response>): {
  fetch: typeof fetch;
  calls: { url: string; method: string; headers: Headers }[];
} {
  const calls: { url: string; method: string; headers: Headers }[] = [];
  const wrapped = (async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const url = String(input);
    calls.push({ url, method: init.method ?? "GET", headers: new Headers(init.headers) });
    return intercept({ n: calls.length, url, init, real: () => fetch(input, init) });
  }) as typeof fetch;
  return { fetch: wrapped, calls };
}

/** What undici throws when the answer was lost after the request went out. */
export function lostResponse(): TypeError {
  return new TypeError("fetch failed", { cause: Object.assign(new Error("socket hang up"), { code: "UND_ERR_SOCKET" }) });
}

export function problemResponse(status: number, code: string, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify({ type: "about:blank", title: code, status, detail: `test double: ${code}`, code }), {
    status,
    headers: { "content-type": "application/problem+json", ...headers },
  });
}
