import "server-only";
import { createHash } from "node:crypto";

/**
 * Builds one `WITH RECURSIVE … SELECT …` statement out of common table
 * expressions, numbering parameters as they are added. A state change, its
 * audit events and its notification composed this way commit together in a
 * single round trip (a single statement is its own transaction).
 */
export class Statement {
  private readonly values: unknown[] = [];
  private readonly ctes: string[] = [];

  /** Adds a parameter and returns its placeholder (`$n`). */
  param(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }

  /** Adds `name AS (sql)`. Data-modifying CTEs run whether or not they are referenced. */
  with(name: string, sql: string): this {
    this.ctes.push(`${name} AS (${sql})`);
    return this;
  }

  /** Adds ready-made CTE text (several `name AS (…)` separated by commas). */
  withFragment(fragment: string): this {
    this.ctes.push(fragment);
    return this;
  }

  /**
   * The statement, named by its text so each connection parses and plans it
   * once and reuses the prepared plan afterwards (the text only varies with
   * the shape of the change, not with its values).
   */
  build(select: string): { name: string; text: string; values: unknown[] } {
    const head = this.ctes.length ? `WITH RECURSIVE ${this.ctes.join(",\n")}\n` : "";
    const text = head + select;
    return { name: `cs_${createHash("sha1").update(text).digest("hex").slice(0, 20)}`, text, values: this.values };
  }
}

const COLUMN_NAME = /^[a-z_][a-z0-9_]*$/;

/**
 * `INSERT INTO table` of one row given as an object keyed by column name,
 * optionally only `where` a condition holds. Only the row's keys are
 * inserted, so every column it leaves out (or sets to `undefined`) takes its
 * default. A call site passes the same keys every time, so the statement
 * text, and with it the prepared plan, stays the same.
 */
export function insertJsonRow(
  statement: Statement,
  table: string,
  row: Record<string, unknown>,
  options: { returning?: boolean; where?: string } = {},
): string {
  const columns = Object.keys(row).filter((k) => row[k] !== undefined);
  for (const c of columns) if (!COLUMN_NAME.test(c)) throw new Error(`not a column name: ${c}`);
  const list = columns.join(", ");
  const where = options.where ? ` WHERE ${options.where}` : "";
  return `INSERT INTO ${table} (${list}) SELECT ${list} FROM jsonb_populate_record(NULL::${table}, ${statement.param(JSON.stringify(row))}::jsonb)${where}${options.returning ? " RETURNING *" : ""}`;
}
