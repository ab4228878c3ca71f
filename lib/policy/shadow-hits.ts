import "server-only";
import { sql } from "kysely";
import { db, type Queryable } from "../db.ts";

/** Counting stops here: the console says "100000+" rather than walk an index without end. */
export const SHADOW_HIT_COUNT_CAP = 100_000;

export interface ShadowHits {
  count: number;
  /** The count reached the cap: there are at least that many. */
  capped: boolean;
  last_hit_at: string | null;
}

/**
 * Hits of each shadow rule's given version (a new version starts from zero:
 * it is a different rule to try out), read from the hits index: a bounded
 * count and the newest hit, both by index scans of that rule alone.
 */
export async function shadowHits(rules: { id: string; version: number }[], q: Queryable = db()): Promise<Map<string, ShadowHits>> {
  if (rules.length === 0) return new Map();
  // Result columns come back camelCased (the Kysely CamelCasePlugin).
  const { rows } = await sql<{ id: string; hits: number; lastHitAt: Date | null }>`
    SELECT r.id, c.hits, l.last_hit_at
    FROM unnest(${rules.map((r) => r.id)}::text[], ${rules.map((r) => r.version)}::int[]) AS r(id, version)
    CROSS JOIN LATERAL (
      SELECT count(*)::int AS hits FROM (
        SELECT 1 FROM policy_shadow_hits h WHERE h.rule_id = r.id AND h.version = r.version LIMIT ${SHADOW_HIT_COUNT_CAP}
      ) capped
    ) c
    CROSS JOIN LATERAL (
      SELECT max(h.created_at) AS last_hit_at FROM policy_shadow_hits h WHERE h.rule_id = r.id AND h.version = r.version
    ) l`.execute(q);
  return new Map(
    rows.map((r) => [r.id, { count: r.hits, capped: r.hits >= SHADOW_HIT_COUNT_CAP, last_hit_at: r.lastHitAt ? new Date(r.lastHitAt).toISOString() : null }]),
  );
}

/**
 * Hits only count for a rule's current version: those of older versions (a
 * rule edited or promoted) and of deleted rules are dropped, at most `batch`
 * rows a run (the hourly maintenance job). Returns how many went.
 */
export async function pruneShadowHits(o: { batch?: number; q?: Queryable } = {}): Promise<number> {
  const result = await sql`
    DELETE FROM policy_shadow_hits WHERE ctid IN (
      SELECT h.ctid FROM policy_shadow_hits h
       WHERE NOT EXISTS (SELECT 1 FROM policy_rules r WHERE r.id = h.rule_id AND r.current_version = h.version AND r.deleted_at IS NULL)
       LIMIT ${o.batch ?? 50_000})`.execute(o.q ?? db());
  return Number(result.numAffectedRows ?? 0);
}
