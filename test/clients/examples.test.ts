import { spawn } from "node:child_process";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { closeHub } from "../../lib/events/hub.ts";
import { PROJECT_ROOT } from "../../lib/runtime/migrate.ts";
import { agentFetch, autoReviewerFor, baseUrl, decide, getRequest, newAgent, newUser, signIn, type TestAgent } from "../support/fixtures.ts";

// The example agents in examples/, run as a user would run them, against the
// live gateway. They stay free of test hooks: approvals come from the
// stand-in reviewer (which approves by default), denials from a reviewer
// this test drives itself.

interface Example {
  name: string;
  command: string;
  args: string[];
  env?: Record<string, string>;
}

const examples: Example[] = [
  { name: "TypeScript", command: process.execPath, args: ["bin/run-ts.mjs", "examples/typescript/refund-agent.ts"] },
  {
    name: "Python",
    command: "python3",
    args: ["examples/python/refund_agent.py"],
    env: { PYTHONPATH: path.join(PROJECT_ROOT, "sdk", "python"), PYTHONDONTWRITEBYTECODE: "1" },
  },
  { name: "curl", command: "bash", args: ["examples/curl/refund-agent.sh"] },
];

afterAll(async () => {
  await closeHub();
});

interface Run {
  done: Promise<{ code: number | null; output: string }>;
  /** The request id the example names once it has asked ("Waiting for a reviewer to decide request req_…"). */
  asked: Promise<string>;
}

function start(example: Example, agent: TestAgent): Run {
  const child = spawn(example.command, example.args, {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...example.env, COUNTERSIGN_URL: baseUrl(), COUNTERSIGN_AGENT_KEY: agent.key },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  let announce: (id: string) => void = () => {};
  const asked = new Promise<string>((resolve) => {
    announce = resolve;
  });
  const append = (chunk: Buffer) => {
    output += chunk;
    const m = /decide request (req_\w+)/.exec(output);
    if (m) announce(m[1]);
  };
  child.stdout.on("data", append);
  child.stderr.on("data", append);
  const done = new Promise<{ code: number | null; output: string }>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, output }));
  });
  return { done, asked };
}

async function requestsOf(agent: TestAgent, status?: string): Promise<any[]> {
  const res = await agentFetch(agent.key, `/api/v1/requests${status ? `?status=${status}` : ""}`);
  expect(res.status).toBe(200);
  return (await res.json()).data;
}

/** The request the example is waiting on: named in its output, and pending for this agent. */
async function firstPending(agent: TestAgent, run: Run): Promise<string> {
  const id = await Promise.race([
    run.asked,
    run.done.then(({ output }) => {
      throw new Error(`the example exited before asking:\n${output}`);
    }),
  ]);
  expect((await requestsOf(agent, "pending")).map((r) => r.id)).toContain(id);
  return id;
}

describe.each(examples)("the $name refund agent", (example) => {
  it("refunds with a redeemed grant once a reviewer approves, and reports success", async () => {
    const agent = await newAgent();
    const reviewer = await autoReviewerFor(agent);
    try {
      const { code, output } = await start(example, agent).done;
      expect(code, output).toBe(0);
      expect(output).toMatch(/Asking for approval to refund \$500(\.00)? to customer cus_123/);
      expect(output).toMatch(/Waiting for a reviewer to decide request req_/);
      expect(output).toMatch(/Grant (grt_\S+ )?redeemed/);
      expect(output).toMatch(/Refunded \$500(\.00)? to customer cus_123 \(refund re_[0-9a-f]+\)/);
      expect(output).toMatch(/outcome .*succeeded/);

      const [request, ...others] = await requestsOf(agent);
      expect(others).toEqual([]);
      expect(await getRequest(agent, request.id)).toMatchObject({
        status: "approved",
        action: "payments.refund",
        resource: "customer:cus_123",
        params: { amount: 500, currency: "USD" },
        grant: { redeemed_at: expect.any(String) },
        outcome: { status: "succeeded" },
      });
      await reviewer.settled();
      expect(reviewer.decided).toEqual([{ id: request.id, decision: "approve", status: 200 }]);
    } finally {
      await reviewer.stop();
    }
  });

  it("refunds nothing and exits 3 when the reviewer denies", async () => {
    const agent = await newAgent();
    const cookie = await signIn(await newUser("reviewer"));
    const run = start(example, agent);
    const id = await firstPending(agent, run);
    expect((await decide(cookie, id, "deny", "No receipt attached")).status).toBe(200);

    const { code, output } = await run.done;
    expect(code, output).toBe(3);
    expect(output).toMatch(/Denied: No receipt attached\. Nothing was refunded\./);
    expect(output).not.toMatch(/redeemed|Refunded/);
    expect(await getRequest(agent, id)).toMatchObject({ status: "denied", grant: null, outcome: null });
  });

  it("refunds nothing and exits 4 when the request ends undecided", async () => {
    const agent = await newAgent();
    const run = start(example, agent);
    const id = await firstPending(agent, run);
    // Cancelled by another process of the same agent: like expiry, no decision was made.
    expect((await agentFetch(agent.key, `/api/v1/requests/${id}/cancel`, { method: "POST", json: {} })).status).toBe(200);

    const { code, output } = await run.done;
    expect(code, output).toBe(4);
    expect(output).toMatch(/No approval: the request is cancelled\. Nothing was refunded\./);
    expect(output).not.toMatch(/redeemed|Refunded/);
  });

  it("exits 1 with the gateway's reason when the key is refused", async () => {
    const { code, output } = await start(example, { agentId: "agt_none", name: "none", key: `csk_nosuchkey_${"x".repeat(43)}` }).done;
    expect(code, output).toBe(1);
    expect(output).toMatch(/unauthenticated/);
    expect(output).not.toMatch(/Refunded/);
  });
});
