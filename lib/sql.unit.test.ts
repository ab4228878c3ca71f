import { describe, expect, it } from "vitest";
import { insertJsonRow, Statement } from "./sql.ts";

describe("insertJsonRow", () => {
  it("inserts only the row's columns, so the others get their defaults", () => {
    const statement = new Statement();
    const sql = insertJsonRow(statement, "votes", { id: "vot_1", reason: null, note: undefined }, { where: "true", returning: true });
    expect(sql).toBe("INSERT INTO votes (id, reason) SELECT id, reason FROM jsonb_populate_record(NULL::votes, $1::jsonb) WHERE true RETURNING *");
    expect(statement.build("SELECT 1").values).toEqual([JSON.stringify({ id: "vot_1", reason: null })]);
  });

  it("refuses a key that is not a plain column name", () => {
    expect(() => insertJsonRow(new Statement(), "votes", { "id) SELECT 1; --": 1 })).toThrow(/not a column name/);
  });
});
