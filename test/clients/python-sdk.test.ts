import { spawn } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeHub } from "../../lib/events/hub.ts";
import { createRule, deleteRule } from "../../lib/policy/rules.ts";
import { PROJECT_ROOT } from "../../lib/runtime/migrate.ts";
import type { AutoReviewer } from "../support/auto-reviewer.ts";
import { autoReviewerFor, baseUrl, newAgent, unique, type TestAgent } from "../support/fixtures.ts";

// The Python SDK's own unittest suite, run against the live gateway with a
// stand-in reviewer deciding what its requests ask for (context.labels.test_decision).

let agent: TestAgent;
let reviewer: AutoReviewer;
let ruleId: string;
const allowedAction = `test.python.${unique("allowed").replace(/-/g, "_")}`;

beforeAll(async () => {
  agent = await newAgent({ name: unique("python-sdk") });
  // Rules are global to the test app: this one allows one action, for this agent
  // only. It goes last: no other suite's rule matches this action, and the policy
  // import test rewrites the rules at the front while suites run side by side.
  ({ ruleId } = await createRule({
    definition: { name: unique("python-sdk-allow"), actions: [allowedAction], agents: { names: [agent.name] }, effect: "allow" },
    actor: "test",
  }));
  // sdk/python/tests/test_amend.py: reviewers may amend `amount` of these actions.
  await createRule({
    definition: {
      name: unique("python-sdk-amend"),
      actions: ["test.python_amend.*"],
      agents: { names: [agent.name] },
      effect: "require_approval",
      reviewers_may_edit: ["amount"],
    },
    actor: "test",
  });
  reviewer = await autoReviewerFor(agent);
});

afterAll(async () => {
  await reviewer?.stop();
  // Another suite's policy import may have removed it already.
  if (ruleId) await deleteRule({ ruleId, actor: "test" }).catch((error) => (error?.code === "not_found" ? undefined : Promise.reject(error)));
  await closeHub();
});

function run(command: string, args: string[], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: PROJECT_ROOT, env: { ...process.env, ...env } });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, output }));
  });
}

describe("Python SDK", () => {
  it("passes its unittest suite against the live gateway", { timeout: 180_000 }, async () => {
    // PYTHON picks another interpreter (e.g. the oldest supported, 3.9); PYTHONPATH is extended, not replaced.
    const { code, output } = await run(process.env.PYTHON ?? "python3", ["-m", "unittest", "discover", "-s", "sdk/python/tests", "-v"], {
      COUNTERSIGN_URL: baseUrl(),
      COUNTERSIGN_AGENT_KEY: agent.key,
      COUNTERSIGN_TEST_ALLOWED_ACTION: allowedAction,
      PYTHONPATH: [path.join(PROJECT_ROOT, "sdk", "python"), process.env.PYTHONPATH].filter(Boolean).join(path.delimiter),
      PYTHONDONTWRITEBYTECODE: "1",
    });
    expect(code, output).toBe(0);
    expect(output).toMatch(/^OK/m);
  });
});
