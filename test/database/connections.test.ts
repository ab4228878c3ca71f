import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db, transact } from "../../lib/db.ts";
import { passwordSignIn } from "../support/password-sign-in.ts";
import { runCli } from "../support/run-cli.ts";
import { startTestApp, startTestDatabase, type TestApp, type TestDatabase } from "../support/test-server.ts";

// A transaction holds a connection; a statement that asks the pool for a
// second one while it is open waits for a connection that only the other
// holders can return. Enough such calls at once and nobody returns one: the
// pool deadlocks until its timeout. Nothing may do that, and the first
// approvals of a fresh instance (which load the signing key) used to.

describe("a statement outside the open transaction", () => {
  it("is refused at once, naming the mistake; the transaction's own statements run", async () => {
    const inside = transact(async () => db().selectFrom("agents").select("id").limit(1).execute());
    await expect(inside).rejects.toThrow(/db\(\) called inside a transaction/);
    const own = await transact(async (trx) => trx.selectFrom("agents").select("id").limit(1).execute());
    expect(Array.isArray(own)).toBe(true);
  });
});

describe("the first approvals of a fresh instance, all at once, on one people's connection", () => {
  const APPROVALS = 8;
  let database: TestDatabase;
  let app: TestApp;
  let agentKey: string;
  let cookie: string;

  async function cli(args: string[]): Promise<Record<string, any>> {
    const r = await runCli([...args, "--json"], { ...process.env, DATABASE_URL: database.url });
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout.trim().split("\n").at(-1)!);
  }

  beforeAll(async () => {
    database = await startTestDatabase();
    agentKey = (await cli(["agents", "create", "--name", "fresh-agent"])).key;
    const reviewer = await cli(["users", "create", "--email", "fresh-reviewer@example.test", "--role", "reviewer"]);
    // One connection for people and a short pool timeout: a decision that
    // waited for a second connection would fail in 2 s instead of deciding.
    app = await startTestApp(database.url, { DATABASE_PEOPLE_POOL_SIZE: "1", DATABASE_POOL_TIMEOUT_SECONDS: "2" });
    cookie = (await passwordSignIn(app.url, { email: reviewer.email, password: reviewer.password }))!;
    expect(cookie).toBeTruthy();
  }, 180_000);

  afterAll(async () => {
    await app?.stop();
    await database?.stop();
  });

  it("all succeed, each with its grant", async () => {
    const ids: string[] = [];
    for (let i = 0; i < APPROVALS; i++) {
      const res = await fetch(`${app.url}/api/v1/requests`, {
        method: "POST",
        headers: { authorization: `Bearer ${agentKey}`, "content-type": "application/json" },
        body: JSON.stringify({ action: "db.migrate", resource: "db:orders", params: { step: i }, summary: `migration step ${i}` }),
      });
      expect(res.status).toBe(201);
      const body = (await res.json()) as { id: string; status: string };
      expect(body.status).toBe("pending");
      ids.push(body.id);
    }
    const answers = await Promise.all(
      ids.map(async (id) => {
        const res = await fetch(`${app.url}/api/v1/requests/${id}/decisions`, {
          method: "POST",
          headers: { cookie, origin: app.url, "content-type": "application/json" },
          body: JSON.stringify({ decision: "approve" }),
        });
        return { status: res.status, body: (await res.json()) as { status?: string; grant?: { id: string } | null } };
      }),
    );
    expect(answers.map((a) => a.status)).toEqual(ids.map(() => 200));
    expect(answers.every((a) => a.body.status === "approved" && a.body.grant?.id)).toBe(true);
  });
});
