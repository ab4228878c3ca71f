import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ScratchDatabase, scratchDatabase } from "../test/support/scratch-database.ts";
import { insertJsonRow, Statement } from "./sql.ts";

describe("insertJsonRow", () => {
  // A scratch database: the test adds a column to action_requests.
  let scratch: ScratchDatabase;

  beforeAll(async () => {
    scratch = await scratchDatabase();
    await scratch.pool.query("INSERT INTO agents (id, name) VALUES ('agt_sql', 'sql test agent')");
    // The kind of column a later migration adds: NOT NULL, with a default.
    await scratch.pool.query("ALTER TABLE action_requests ADD COLUMN review_tier text NOT NULL DEFAULT 'standard'");
  });

  afterAll(async () => {
    await scratch?.drop();
  });

  const request = (id: string) => ({
    id,
    agent_id: "agt_sql",
    action: "db.migrate",
    resource: null,
    params: { table: "users" },
    params_sha256: "0".repeat(64),
    summary: "a request written as create-request writes one",
    context: {},
    status: "pending",
    policy_id: "pol_default",
    policy_name: "default",
    policy_version: 1,
    policy_effect: "require_approval",
    approvals_required: 1,
    grant_ttl_seconds: 300,
    grant_audience: "countersign",
    expires_at: new Date(Date.now() + 60_000).toISOString(),
    body_sha256: "0".repeat(64),
    callback_url: undefined,
  });

  async function insert(row: Record<string, unknown>) {
    const statement = new Statement();
    statement.with("req", insertJsonRow(statement, "action_requests", row, { returning: true }));
    const { rows } = await scratch.pool.query(statement.build("SELECT * FROM req"));
    return rows[0];
  }

  it("gives the columns a row leaves out (or sets to undefined) their defaults, NOT NULL ones included", async () => {
    const stored = await insert(request("req_sql_defaults"));
    expect(stored).toMatchObject({
      id: "req_sql_defaults",
      params: { table: "users" },
      resource: null,
      callback_url: null,
      review_tier: "standard",
      reviewer_groups: [],
      owner_may_decide: false,
    });
    expect(Date.now() - stored.created_at.getTime()).toBeLessThan(60_000);
  });

  it("stores the values a row gives, null included", async () => {
    const stored = await insert({ ...request("req_sql_values"), review_tier: "high", resource: "db/users", reviewer_groups: ["dba"] });
    expect(stored).toMatchObject({ review_tier: "high", resource: "db/users", reviewer_groups: ["dba"] });
    await expect(insert({ ...request("req_sql_null"), review_tier: null })).rejects.toMatchObject({ code: "23502" });
  });

  it("refuses a key that is not a column name", () => {
    expect(() => insertJsonRow(new Statement(), "action_requests", { "id) SELECT 1; --": "x" })).toThrow(/not a column name/);
  });
});
