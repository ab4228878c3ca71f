import "server-only";
import type pg from "pg";
import { pool } from "../db.ts";
import { hub, type NotificationHub } from "../events/hub.ts";
import { logger } from "../logger.ts";
import { BUILTIN_DEFAULTS, compileRule, type RuleSet, type StoredRule } from "./match-rules.ts";
import { PolicyDefaults, type PolicyRuleDefinition } from "./policy-document.ts";

export const DEFAULT_SETTING_KEY = "policy.default";
/** A counter every policy change advances (see `policyTransaction`). */
export const REVISION_SETTING_KEY = "policy.revision";

/** The live rules (not deleted) in evaluation order, with their current definitions. */
export async function loadStoredRules(client: pg.Pool | pg.PoolClient = pool()): Promise<StoredRule[]> {
  const { rows } = await client.query({
    name: "cs_policy_rules",
    text: `SELECT r.id, r.name, r.position, r.enabled, r.current_version, v.definition
             FROM policy_rules r JOIN policy_rule_versions v ON v.rule_id = r.id AND v.version = r.current_version
            WHERE r.deleted_at IS NULL
            ORDER BY r.position, r.id`,
  });
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    position: r.position,
    enabled: r.enabled,
    version: r.current_version,
    definition: r.definition as PolicyRuleDefinition,
  }));
}

/** The configured default (what applies when no rule matches), or the built-in one. */
export async function loadPolicyDefaults(client: pg.Pool | pg.PoolClient = pool()): Promise<PolicyDefaults> {
  const { rows } = await client.query({ name: "cs_policy_default", text: "SELECT value FROM settings WHERE key = $1", values: [DEFAULT_SETTING_KEY] });
  if (!rows[0]) return BUILTIN_DEFAULTS;
  const parsed = PolicyDefaults.safeParse(rows[0].value);
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
  /** Bumped by every invalidation, so a load that raced a change is not kept. */
  generation: number;
  subscribedTo?: NotificationHub;
}

const cached: Cache = { generation: 0 };

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
  // still on the way): reload now rather than evaluate against old rules.
  if (atLeastRevision && c.revision !== undefined && BigInt(atLeastRevision) > c.revision) invalidateRuleSet();
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

export async function loadRuleSet(client: pg.Pool | pg.PoolClient = pool()): Promise<RuleSet & { revision: bigint }> {
  // The revision is read first: rules read after it are at least that new.
  const revision = await loadPolicyRevision(client);
  const [rules, defaults] = await Promise.all([loadStoredRules(client), loadPolicyDefaults(client)]);
  return { rules: rules.map(compileRule), defaults, revision };
}

async function loadPolicyRevision(client: pg.Pool | pg.PoolClient): Promise<bigint> {
  const { rows } = await client.query({
    name: "cs_policy_revision",
    text: "SELECT value #>> '{}' AS r FROM settings WHERE key = $1",
    values: [REVISION_SETTING_KEY],
  });
  return BigInt(rows[0]?.r ?? 0);
}
