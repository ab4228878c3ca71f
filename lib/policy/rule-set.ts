import "server-only";
import { sql } from "kysely";
import { db, type Queryable } from "../db.ts";
import { hub, type NotificationHub } from "../events/hub.ts";
import { logger } from "../logger.ts";
import { metrics } from "../metrics.ts";
import { BUILTIN_DEFAULTS, compileRule, type RuleSet, type StoredRule, withShadowIndex } from "./match-rules.ts";
import { PolicyDefaults, type PolicyRuleDefinition } from "./policy-document.ts";

export const DEFAULT_SETTING_KEY = "policy.default";
/** A counter every policy change advances (see `policyTransaction`). */
export const REVISION_SETTING_KEY = "policy.revision";

/** A `definition` column: written only by the rule store (rules.ts), from a validated definition. */
export const storedRuleDefinition = (stored: unknown) => stored as PolicyRuleDefinition;

/** The live rules (not deleted) in evaluation order, with their current definitions. */
export async function loadStoredRules(q: Queryable = db()): Promise<StoredRule[]> {
  const rows = await q
    .selectFrom("policyRules as r")
    .innerJoin("policyRuleVersions as v", (join) => join.onRef("v.ruleId", "=", "r.id").onRef("v.version", "=", "r.currentVersion"))
    .select(["r.id", "r.name", "r.position", "r.enabled", "r.currentVersion as version", "v.definition"])
    .where("r.deletedAt", "is", null)
    .orderBy("r.position")
    .orderBy("r.id")
    .execute();
  return rows.map((r) => ({ ...r, definition: storedRuleDefinition(r.definition) }));
}

/** The configured default (what applies when no rule matches), or the built-in one. */
export async function loadPolicyDefaults(q: Queryable = db()): Promise<PolicyDefaults> {
  const row = await q.selectFrom("settings").select("value").where("key", "=", DEFAULT_SETTING_KEY).executeTakeFirst();
  if (!row) return BUILTIN_DEFAULTS;
  const parsed = PolicyDefaults.safeParse(row.value);
  if (!parsed.success) {
    logger.error({ setting: DEFAULT_SETTING_KEY }, "stored policy default is invalid; using the built-in default");
    return BUILTIN_DEFAULTS;
  }
  return parsed.data;
}

interface Cache {
  ruleSet?: Promise<RuleSet>;
  /** The policy revision the cached rule set was loaded at. */
  revision?: bigint;
  /** The newest revision a caller has named (seen with its agent key). */
  newestSeen: bigint;
  /**
   * `newestSeen` when the load in `ruleSet` started: that load reads at
   * least this revision (every revision a caller named was committed before
   * it read the revision), so a caller naming no newer one waits for it
   * instead of starting another.
   */
  loadCovers?: bigint;
  /** Bumped by every invalidation, so a load that raced a change is not kept. */
  generation: number;
  subscribedTo?: NotificationHub;
}

const cached: Cache = { generation: 0, newestSeen: -1n };

/** Drops the cached rule set; the next evaluation reloads it. */
export function invalidateRuleSet(): void {
  const c = cached;
  c.generation++;
  c.ruleSet = undefined;
}

/**
 * The rule set, compiled, from the in-process cache. The cache is only
 * trusted while this process LISTENs: the hub is made ready (and subscribed
 * to) before loading, so a policy change committed after the load is
 * always seen as a notification that drops the cache, and a lost listener
 * drops it too (resync).
 */
export async function currentRuleSet(atLeastRevision?: string | null): Promise<RuleSet> {
  const c = cached;
  // The caller saw a newer policy than the cache holds (its notification is
  // still on the way): reload now rather than evaluate against old rules,
  // unless a load already under way will read that revision. Without that
  // check, under load every call arriving during a reload started another:
  // the rules were compiled once per call for as long as calls kept coming.
  if (atLeastRevision) {
    const wanted = BigInt(atLeastRevision);
    if (wanted > c.newestSeen) c.newestSeen = wanted;
    const loadUnderWay = c.ruleSet !== undefined && c.loadCovers !== undefined && wanted <= c.loadCovers;
    if (c.revision !== undefined && wanted > c.revision && !loadUnderWay) invalidateRuleSet();
  }
  const h = hub();
  if (c.subscribedTo !== h) {
    await h.ready();
    if (c.subscribedTo !== h) {
      c.subscribedTo = h;
      h.onPolicyChange(invalidateRuleSet);
      invalidateRuleSet();
    }
  } else if (!c.ruleSet) {
    await h.ready();
  }
  while (!c.ruleSet) {
    const generation = c.generation;
    c.loadCovers = c.newestSeen;
    metrics().ruleSetLoads.inc();
    const loading = loadRuleSet();
    c.ruleSet = loading;
    try {
      const loaded = await loading;
      if (c.generation === generation) {
        c.revision = loaded.revision;
        return loaded;
      }
    } catch (err) {
      if (c.ruleSet === loading) c.ruleSet = undefined;
      throw err;
    }
  }
  return c.ruleSet;
}

export async function loadRuleSet(q: Queryable = db()): Promise<RuleSet & { revision: bigint }> {
  // The revision is read first: rules read after it are at least that new.
  const revision = await loadPolicyRevision(q);
  const [rules, defaults] = await Promise.all([loadStoredRules(q), loadPolicyDefaults(q)]);
  return { ...withShadowIndex({ rules: rules.map(compileRule), defaults }), revision };
}

async function loadPolicyRevision(q: Queryable): Promise<bigint> {
  const row = await q.selectFrom("settings").select(sql<string>`value #>> '{}'`.as("r")).where("key", "=", REVISION_SETTING_KEY).executeTakeFirst();
  return BigInt(row?.r ?? 0);
}
