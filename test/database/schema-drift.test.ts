import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { promisify } from "node:util";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../lib/runtime/migrate.ts";
import { type ScratchDatabase, scratchDatabase } from "../support/scratch-database.ts";

/*
 * The migrations (hand-written SQL allowed) and prisma/schema.prisma describe
 * the same database. Prisma's own `migrate diff` cannot read a database here
 * (its Wasm engine reads the catalog through the pg adapter, which cannot
 * deserialize the `char` columns of pg_catalog), so this test builds both:
 * one database by the migrations, as `countersign migrate` applies them (the
 * scratch template), and one from the SQL Prisma generates for the datamodel
 * (`migrate diff --from-empty --to-schema-datamodel`), and compares what the
 * catalog says of each.
 */

/** One line per schema object, keyed by what it is and named, with its definition. */
const DESCRIBE = `
  SELECT 'enum ' || t.typname AS key, string_agg(quote_literal(e.enumlabel), ', ' ORDER BY e.enumsortorder) AS def
    FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid JOIN pg_namespace n ON n.oid = t.typnamespace
   WHERE n.nspname = 'public' GROUP BY t.typname
  UNION ALL
  SELECT 'column ' || c.relname || '.' || a.attname,
         format_type(a.atttypid, a.atttypmod) || CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END
           || coalesce(' DEFAULT ' || pg_get_expr(d.adbin, d.adrelid), '')
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
   WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition AND a.attnum > 0 AND NOT a.attisdropped
  UNION ALL
  -- NOT NULL constraints (PostgreSQL 18 lists them here) are part of the column lines.
  SELECT 'constraint ' || c.relname || '.' || k.conname, pg_get_constraintdef(k.oid)
    FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE n.nspname = 'public' AND k.contype <> 'n' AND NOT c.relispartition
  UNION ALL
  -- A partitioned table's indexes read "ON ONLY" in the catalog; its partitions' own are not the schema.
  SELECT 'index ' || i.indexname, replace(i.indexdef, ' ON ONLY ', ' ON ')
    FROM pg_indexes i JOIN pg_class c ON c.relname = i.tablename JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = i.schemaname
   WHERE i.schemaname = 'public' AND NOT c.relispartition
  UNION ALL
  SELECT 'partitioned ' || c.relname, pg_get_partkeydef(c.oid)
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE n.nspname = 'public' AND c.relkind = 'p'
  UNION ALL
  SELECT 'storage ' || c.relname, array_to_string(c.reloptions, ', ')
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE n.nspname = 'public' AND c.reloptions IS NOT NULL AND NOT c.relispartition
  UNION ALL
  SELECT 'trigger ' || c.relname || '.' || g.tgname, pg_get_triggerdef(g.oid)
    FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE n.nspname = 'public' AND NOT g.tgisinternal
  UNION ALL
  SELECT 'function ' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')', pg_get_functiondef(p.oid)
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public'`;

/**
 * What the migrations create that Prisma's schema language cannot declare,
 * each with its reason. Anything else that differs is drift.
 */
const NOT_EXPRESSIBLE_IN_PRISMA: Record<string, string> = {
  "column webhook_endpoints.event_types": "Prisma never declares a list column NOT NULL",
  "column admin_tokens.scopes": "Prisma never declares a list column NOT NULL",
  "constraint deliveries.deliveries_status_check": "CHECK constraint",
  "index deliveries_due_idx": "partial index (WHERE status IN ('pending', 'failed'))",
  "index action_requests_status_risk_score_idx": "expression index (the risk score in the risk JSON column)",
  "index audit_events_actor_kind_seq_idx": "expression index (the actor kind, split_part(actor, ':', 1)), partial (WHERE seq IS NOT NULL)",
  "index audit_events_seq_idx": "partial index (WHERE seq IS NOT NULL): chained events only",
  "index audit_events_type_seq_idx": "partial index (WHERE seq IS NOT NULL): chained events only",
  "index audit_events_actor_seq_idx": "partial index (WHERE seq IS NOT NULL): chained events only",
  "storage risk_agent_rate": "storage parameter (fillfactor = 20)",
  "partitioned audit_events": "PARTITION BY RANGE (occurred_at): monthly partitions (lib/partitions.ts)",
  "index audit_events_unsealed_idx": "partial index (WHERE seq IS NULL)",
  "index action_requests_pending_by_agent_idx": "partial index (WHERE status = 'pending'): an agent's pending requests",
  "function countersign_pending_count(agent text, up_to integer)": "a VOLATILE SQL function: the exact pending cap in one statement",
  "function countersign_history_approvals(agent text, since timestamp with time zone, locked boolean)":
    "a VOLATILE SQL function: the history guard counts approvals on a fresh snapshot after the lock",
  "partitioned deliveries": "PARTITION BY RANGE (created_at): monthly partitions (lib/partitions.ts)",
  "partitioned risk_agent_hourly": "PARTITION BY RANGE (hour): monthly partitions (lib/partitions.ts)",
};

async function describeSchema(pool: pg.Pool): Promise<Map<string, string>> {
  const { rows } = await pool.query<{ key: string; def: string }>(DESCRIBE);
  return new Map(rows.filter((r) => !r.key.includes("_prisma_migrations")).map((r) => [r.key, r.def]));
}

/**
 * The SQL that creates the datamodel of prisma/schema.prisma in an empty
 * database. The CLI connects to `databaseUrl` (prisma.config.ts's adapter)
 * though it reads nothing there.
 */
async function datamodelSql(databaseUrl: string): Promise<string> {
  const prismaCli = createRequire(import.meta.url).resolve("prisma/build/index.js");
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [prismaCli, "migrate", "diff", "--from-empty", "--to-schema-datamodel", "prisma/schema.prisma", "--script"],
    { cwd: PROJECT_ROOT, env: { ...process.env, DATABASE_URL: databaseUrl, PRISMA_HIDE_UPDATE_MESSAGE: "1" } },
  );
  return stdout;
}

describe("the migrations and prisma/schema.prisma", () => {
  let migrated: ScratchDatabase;
  let declared: ScratchDatabase;

  beforeAll(async () => {
    [migrated, declared] = await Promise.all([scratchDatabase(), scratchDatabase({ empty: true })]);
    await declared.pool.query(await datamodelSql(declared.url));
  });

  afterAll(async () => {
    await Promise.all([migrated?.drop(), declared?.drop()]);
  });

  it("describe the same tables, columns, defaults, keys, relations and indexes", async () => {
    const [fromMigrations, fromSchema] = await Promise.all([describeSchema(migrated.pool), describeSchema(declared.pool)]);
    expect(fromMigrations.size).toBeGreaterThan(100);
    const differences = [...new Set([...fromMigrations.keys(), ...fromSchema.keys()])]
      .filter((key) => fromMigrations.get(key) !== fromSchema.get(key))
      .sort()
      .map((key) => ({ key, migrations: fromMigrations.get(key) ?? null, schema: fromSchema.get(key) ?? null }));
    expect(differences.filter((d) => !(d.key in NOT_EXPRESSIBLE_IN_PRISMA))).toEqual([]);
    // The list of exceptions stays true: each of them is still there.
    expect(differences.map((d) => d.key).filter((key) => key in NOT_EXPRESSIBLE_IN_PRISMA)).toEqual(Object.keys(NOT_EXPRESSIBLE_IN_PRISMA).sort());
  });
});
