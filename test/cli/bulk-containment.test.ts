import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAgent } from "../../lib/agents/create-agent.ts";
import { db, kyselyOver } from "../../lib/db.ts";
import { createPending, expectProblem, getRequest, agentFetch, type TestAgent, unique } from "../support/fixtures.ts";
import { type CliResult, runCli } from "../support/run-cli.ts";
import { type ScratchDatabase, scratchDatabase } from "../support/scratch-database.ts";

/*
 * `countersign agents suspend|resume --tag T | --all | --name N`: the kill
 * switch for many agents from a terminal. --tag runs against the shared
 * database (a tag of this suite's own, with pending requests the shared app
 * answers); --all on a scratch database, so no other suite's agent is stopped.
 */

const cli = (args: string[], env: Record<string, string> = {}) => runCli(args, { ...process.env, LOG_LEVEL: "warn", ...env });

function ok(r: CliResult): string {
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
}

async function tagged(tags: string[]): Promise<TestAgent> {
  const name = unique("cli-bulk");
  const { agentId, key } = await createAgent({ name, tags, actor: "test" });
  return { agentId, name, key };
}

const statusOf = async (id: string, q = db()) => (await q.selectFrom("agents").select("status").where("id", "=", id).executeTakeFirstOrThrow()).status;

describe("countersign agents suspend/resume --tag", () => {
  it("suspends every active agent with the tag (pending requests cancelled), prints what it did, and resumes them", async () => {
    const tag = unique("cli-tag");
    const [a, b, other] = await Promise.all([tagged([tag]), tagged([tag, "x"]), tagged([unique("cli-other")])]);
    const [p1, p2, p3] = [await createPending(a), await createPending(a), await createPending(b)];
    const untouched = await createPending(other);

    const out = JSON.parse(ok(await cli(["agents", "suspend", "--tag", tag, "--reason", "incident 42", "--json"])));
    expect(out.skipped).toEqual([]);
    expect(out.suspended.map((s: { agent_id: string }) => s.agent_id).sort()).toEqual([a.agentId, b.agentId].sort());
    const byId = Object.fromEntries(out.suspended.map((s: { agent_id: string; cancelled_requests: number }) => [s.agent_id, s.cancelled_requests]));
    expect(byId).toEqual({ [a.agentId]: 2, [b.agentId]: 1 });

    await expectProblem(await agentFetch(a.key, `/api/v1/requests/${p1.id}`), 403, "agent_suspended");
    const rows = await db()
      .selectFrom("actionRequests")
      .select(["status", "decisionReason"])
      .where("id", "=", (eb) => eb.fn.any(eb.val([p1.id, p2.id, p3.id])))
      .execute();
    expect(rows).toEqual(Array(3).fill({ status: "cancelled", decisionReason: "agent suspended: incident 42" }));
    expect((await getRequest(other, untouched.id)).status).toBe("pending");
    const events = await db()
      .selectFrom("auditEvents")
      .select(["agentId", "actor", "data"])
      .where("type", "=", "agent.suspended")
      .where("agentId", "=", (eb) => eb.fn.any(eb.val([a.agentId, b.agentId])))
      .execute();
    expect(events).toHaveLength(2);
    for (const e of events) expect(e).toMatchObject({ actor: "cli", data: { bulk: { tag }, reason: "incident 42" } });

    // Again: both already suspended, so skipped; the text form says so.
    const again = ok(await cli(["agents", "suspend", "--tag", tag]));
    expect(again).toContain(`skipped ${a.name} (${a.agentId}): already suspended`);
    expect(again).toMatch(/^0 agents suspended, 0 pending requests cancelled, 0 grants revoked; 2 skipped$/m);

    const resumed = ok(await cli(["agents", "resume", "--tag", tag]));
    expect(resumed).toContain(`resumed ${a.name} (${a.agentId})`);
    expect(resumed).toContain(`resumed ${b.name} (${b.agentId})`);
    expect(resumed).toMatch(/^2 agents resumed; 0 skipped$/m);
    expect(await statusOf(a.agentId)).toBe("active");
    expect((await createPending(a)).body.status).toBe("pending");
  });

  it("wants exactly one of --name, --tag and --all, in one line on stderr", async () => {
    for (const args of [
      ["agents", "suspend"],
      ["agents", "suspend", "--tag", "x", "--all"],
      ["agents", "suspend", "--name", "x", "--tag", "x"],
      ["agents", "resume", "--all", "--name", "x"],
    ]) {
      const r = await cli(args);
      expect(r.code).toBe(1);
      expect(r.stderr.trim()).toBe("error: give exactly one of --name, --tag and --all");
    }
  });
});

describe("countersign agents suspend/resume --all (scratch database)", () => {
  let scratch: ScratchDatabase;
  beforeAll(async () => {
    scratch = await scratchDatabase();
  });
  afterAll(async () => {
    await scratch?.drop();
  });

  it("suspends every active agent and skips suspended ones; --name still suspends one; resume --all lets them all back", async () => {
    const env = { DATABASE_URL: scratch.url };
    const names = [unique("all-a"), unique("all-b"), unique("all-c")];
    const created: string[] = [];
    for (const name of names) created.push(JSON.parse(ok(await cli(["agents", "create", "--name", name, "--json"], env))).agent_id as string);

    const single = JSON.parse(ok(await cli(["agents", "suspend", "--name", names[0], "--json"], env)));
    expect(single).toMatchObject({ agent_id: created[0], status: "suspended", cancelled_requests: [], revoked_grants: 0 });
    // Suspending one agent twice is still a conflict (exit 3).
    const twice = await cli(["agents", "suspend", "--name", names[0]], env);
    expect(twice.code).toBe(3);
    expect(twice.stderr.trim()).toBe(`error: agent ${names[0]} is already suspended`);

    const all = JSON.parse(ok(await cli(["agents", "suspend", "--all", "--reason", "leak", "--json"], env)));
    expect(all.suspended.map((s: { agent_id: string }) => s.agent_id).sort()).toEqual([created[1], created[2]].sort());
    expect(all.skipped).toEqual([{ agent_id: created[0], name: names[0], status: "suspended" }]);
    const q = kyselyOver(scratch.pool);
    for (const id of created) expect(await statusOf(id, q)).toBe("suspended");
    const events = await q.selectFrom("auditEvents").select(["agentId", "data"]).where("type", "=", "agent.suspended").execute();
    expect(
      events
        .filter((e) => (e.data as { bulk?: unknown }).bulk)
        .map((e) => e.agentId)
        .sort(),
    ).toEqual([created[1], created[2]].sort());
    for (const e of events.filter((x) => x.agentId !== created[0])) expect(e.data).toMatchObject({ bulk: { all: true }, reason: "leak" });

    const resumed = JSON.parse(ok(await cli(["agents", "resume", "--all", "--json"], env)));
    expect(resumed.resumed.map((r: { agent_id: string }) => r.agent_id).sort()).toEqual([...created].sort());
    expect(resumed.skipped).toEqual([]);
    for (const id of created) expect(await statusOf(id, q)).toBe("active");
  });
});
