import "server-only";
import { sql } from "kysely";
import { appendEvents, type AuditEventInput } from "../audit/append-event.ts";
import { canonicalJson } from "../crypto.ts";
import { announceOnCommit, db, type Queryable, type Trx, transact } from "../db.ts";
import { AppError } from "../errors.ts";
import { invalidateRuleSet, REVISION_SETTING_KEY, storedRuleDefinition } from "./rule-set.ts";
import { newId } from "../ids.ts";
import type { PolicyDefaults, PolicyRuleDefinition } from "./policy-document.ts";
import { DEFAULT_SETTING_KEY } from "./rule-set.ts";
import { parsePolicyDefaults, parseRuleDefinition } from "./validate-policy.ts";

/**
 * The rule store. Every change runs in one transaction that takes the policy
 * lock (changes are serialised, positions stay dense), writes its audit event
 * with before/after, and queues the `policy` notification that makes every
 * instance drop its cached rule set when the change commits.
 */

export interface RuleView {
  id: string;
  name: string;
  position: number;
  enabled: boolean;
  version: number;
  definition: PolicyRuleDefinition;
  updatedAt: Date;
}

export interface RuleVersionView {
  version: number;
  definition: PolicyRuleDefinition;
  createdBy: string;
  createdAt: Date;
}

/**
 * Runs `work` as a policy change: serialised, and on commit the policy
 * revision advances (agent calls read it with their key, so every instance
 * evaluates the very next request against the new rules), listeners are
 * notified, and this process drops its cache at once.
 */
export async function policyTransaction<T>(work: (trx: Trx) => Promise<T>): Promise<T> {
  const result = await transact(async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(hashtext('countersign.policy'))`.execute(trx);
    const out = await work(trx);
    await sql`
      INSERT INTO settings (key, value, updated_at) VALUES (${REVISION_SETTING_KEY}, '1'::jsonb, now())
      ON CONFLICT (key) DO UPDATE SET value = to_jsonb((settings.value #>> '{}')::bigint + 1), updated_at = now()`.execute(trx);
    announceOnCommit(trx, { kind: "policy" });
    return out;
  });
  invalidateRuleSet();
  return result;
}

/** What a version stores: the definition without `enabled`, which is the rule's switch, not its content. */
export function storedDefinition(definition: PolicyRuleDefinition): PolicyRuleDefinition {
  const { enabled: _enabled, mode, ...rest } = definition;
  // `enforce` is the default and is not stored, so versions saved before modes existed compare equal.
  return JSON.parse(JSON.stringify(mode === "shadow" ? { ...rest, mode } : rest)) as PolicyRuleDefinition;
}

export function sameDefinition(a: PolicyRuleDefinition, b: PolicyRuleDefinition): boolean {
  return canonicalJson(storedDefinition(a)) === canonicalJson(storedDefinition(b));
}

export async function listRules(q: Queryable = db()): Promise<RuleView[]> {
  const rules = await q
    .selectFrom("policyRules as r")
    .innerJoin("policyRuleVersions as v", (join) => join.onRef("v.ruleId", "=", "r.id").onRef("v.version", "=", "r.currentVersion"))
    .select(["r.id", "r.name", "r.position", "r.enabled", "r.currentVersion", "r.updatedAt", "v.definition"])
    .where("r.deletedAt", "is", null)
    .orderBy("r.position")
    .orderBy("r.id")
    .execute();
  return rules.map((r) => ({
    id: r.id,
    name: r.name,
    position: r.position,
    enabled: r.enabled,
    version: r.currentVersion,
    definition: storedRuleDefinition(r.definition),
    updatedAt: r.updatedAt,
  }));
}

export async function getRuleHistory(o: { ruleId: string }): Promise<RuleVersionView[]> {
  const versions = await db()
    .selectFrom("policyRuleVersions")
    .select(["version", "definition", "createdBy", "createdAt"])
    .where("ruleId", "=", o.ruleId)
    .orderBy("version", "desc")
    .execute();
  if (versions.length === 0) throw new AppError("not_found", "no such rule");
  return versions.map((v) => ({ ...v, definition: storedRuleDefinition(v.definition) }));
}

export interface CreateRuleOptions {
  definition: unknown;
  /** 0-based place in the evaluation order; last when omitted. */
  position?: number;
  actor: string;
}

export async function createRule(o: CreateRuleOptions): Promise<{ ruleId: string; version: number }> {
  const definition = parseRuleDefinition(o.definition);
  return policyTransaction(async (trx) => {
    const created = await insertRule(trx, { definition, position: o.position, actor: o.actor });
    await appendEvents(trx, [
      {
        type: "policy.rule_created",
        actor: o.actor,
        data: { rule_id: created.ruleId, name: definition.name, version: created.version, before: null, after: created.after },
      },
    ]);
    return { ruleId: created.ruleId, version: created.version };
  });
}

/**
 * Adds a rule at `position` (shifting later ones). A name that belonged to a
 * deleted rule brings that rule back with a new version, so its history and
 * the requests it decided stay with one identity.
 */
export async function insertRule(trx: Trx, o: { definition: PolicyRuleDefinition; position?: number; actor: string }) {
  const { definition } = o;
  const existing = await trx.selectFrom("policyRules").select(["id", "deletedAt", "currentVersion"]).where("name", "=", definition.name).executeTakeFirst();
  if (existing && !existing.deletedAt) throw new AppError("conflict", `a rule named ${definition.name} already exists`);
  const { count } = await trx.selectFrom("policyRules").select(sql<number>`count(*)::int`.as("count")).where("deletedAt", "is", null).executeTakeFirstOrThrow();
  const position = Math.max(0, Math.min(o.position ?? count, count));
  await trx
    .updateTable("policyRules")
    .set((eb) => ({ position: eb("position", "+", 1) }))
    .where("deletedAt", "is", null)
    .where("position", ">=", position)
    .execute();
  const enabled = definition.enabled ?? true;
  const now = new Date();
  let ruleId: string;
  let version: number;
  if (existing) {
    ruleId = existing.id;
    version = existing.currentVersion + 1;
    await trx
      .updateTable("policyRules")
      .set({ deletedAt: null, position, enabled, currentVersion: version, updatedAt: now })
      .where("id", "=", ruleId)
      .execute();
  } else {
    ruleId = newId("pol");
    version = 1;
    await trx
      .insertInto("policyRules")
      .values({ id: ruleId, name: definition.name, position, enabled, currentVersion: version, createdAt: now, updatedAt: now })
      .execute();
  }
  await trx
    .insertInto("policyRuleVersions")
    .values({ ruleId, version, definition: JSON.stringify(storedDefinition(definition)), createdBy: o.actor, createdAt: now })
    .execute();
  return { ruleId, version, after: { position, enabled, version, definition: storedDefinition(definition) } };
}

async function liveRule(trx: Trx, ruleId: string) {
  const rule = await trx
    .selectFrom("policyRules as r")
    .innerJoin("policyRuleVersions as v", "v.ruleId", "r.id")
    .select(["r.id", "r.name", "r.position", "r.enabled", "r.currentVersion", "r.deletedAt", "v.definition"])
    .where("r.id", "=", ruleId)
    .orderBy("v.version", "desc")
    .limit(1)
    .executeTakeFirst();
  if (!rule || rule.deletedAt) throw new AppError("not_found", "no such rule");
  return { ...rule, definition: storedRuleDefinition(rule.definition) };
}

export interface UpdateRuleOptions {
  ruleId: string;
  definition: unknown;
  actor: string;
}

/** Saves an edit as a new version (the `enabled` flag in `definition` also switches the rule). */
export async function updateRule(o: UpdateRuleOptions): Promise<{ ruleId: string; version: number }> {
  const definition = parseRuleDefinition(o.definition);
  return policyTransaction(async (trx) => {
    const rule = await liveRule(trx, o.ruleId);
    const result = await reviseRule(trx, rule, definition, o.actor);
    if (!result.event) return { ruleId: rule.id, version: rule.currentVersion };
    await appendEvents(trx, [result.event]);
    return { ruleId: rule.id, version: result.version };
  });
}

/** Writes a new version when the content differs, switches `enabled` when it differs; the audit event, or null when nothing changed. */
export async function reviseRule(
  trx: Trx,
  rule: { id: string; name: string; enabled: boolean; currentVersion: number; definition: PolicyRuleDefinition },
  definition: PolicyRuleDefinition,
  actor: string,
): Promise<{ version: number; event: AuditEventInput | null }> {
  const contentChanged = !sameDefinition(rule.definition, definition);
  const enabled = definition.enabled ?? true;
  if (!contentChanged && enabled === rule.enabled) return { version: rule.currentVersion, event: null };
  if (definition.name !== rule.name && (await trx.selectFrom("policyRules").select("id").where("name", "=", definition.name).executeTakeFirst())) {
    throw new AppError("conflict", `a rule named ${definition.name} already exists`);
  }
  const version = contentChanged ? rule.currentVersion + 1 : rule.currentVersion;
  const now = new Date();
  if (contentChanged)
    await trx
      .insertInto("policyRuleVersions")
      .values({ ruleId: rule.id, version, definition: JSON.stringify(storedDefinition(definition)), createdBy: actor, createdAt: now })
      .execute();
  await trx.updateTable("policyRules").set({ name: definition.name, enabled, currentVersion: version, updatedAt: now }).where("id", "=", rule.id).execute();
  return {
    version,
    event: {
      type: "policy.rule_updated",
      actor,
      data: {
        rule_id: rule.id,
        name: definition.name,
        version,
        before: { enabled: rule.enabled, version: rule.currentVersion, definition: rule.definition },
        after: { enabled, version, definition: storedDefinition(definition) },
      },
    },
  };
}

export async function setRuleEnabled(o: { ruleId: string; enabled: boolean; actor: string }): Promise<void> {
  await policyTransaction(async (trx) => {
    const rule = await liveRule(trx, o.ruleId);
    const result = await reviseRule(trx, rule, { ...rule.definition, enabled: o.enabled }, o.actor);
    if (result.event) await appendEvents(trx, [result.event]);
  });
}

/**
 * Turns a shadow rule into an enforced one: a new version (the mode is part
 * of the definition) and its `policy.rule_promoted` event in one policy
 * transaction. Policy changes are serialised, so of two concurrent promotes
 * exactly one changes the rule; the other finds it enforced (409).
 */
export async function promoteRule(o: { ruleId: string; actor: string }): Promise<{ ruleId: string; version: number }> {
  return policyTransaction(async (trx) => {
    const rule = await liveRule(trx, o.ruleId);
    if (rule.definition.mode !== "shadow") throw new AppError("conflict", `rule ${rule.name} is already enforced`);
    const result = await reviseRule(trx, rule, { ...rule.definition, enabled: rule.enabled, mode: "enforce" }, o.actor);
    if (!result.event) throw new Error("promoting a shadow rule must change it");
    await appendEvents(trx, [{ ...result.event, type: "policy.rule_promoted" }]);
    return { ruleId: rule.id, version: result.version };
  });
}

/** Moves a rule to `position` (0-based) in the evaluation order. */
export async function moveRule(o: { ruleId: string; position: number; actor: string }): Promise<void> {
  await policyTransaction(async (trx) => {
    const rule = await liveRule(trx, o.ruleId);
    const order = (await trx.selectFrom("policyRules").select("id").where("deletedAt", "is", null).orderBy("position").orderBy("id").execute()).map(
      (r) => r.id,
    );
    const from = order.indexOf(rule.id);
    const to = Math.max(0, Math.min(o.position, order.length - 1));
    if (from === to) return;
    order.splice(from, 1);
    order.splice(to, 0, rule.id);
    await writeOrder(trx, order);
    await appendEvents(trx, [
      { type: "policy.rule_moved", actor: o.actor, data: { rule_id: rule.id, name: rule.name, before: { position: from }, after: { position: to } } },
    ]);
  });
}

/** Gives the live rules positions 0..n-1 in the order given. */
export async function writeOrder(trx: Trx, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await sql`UPDATE policy_rules r SET position = o.n - 1 FROM unnest(${ids}::text[]) WITH ORDINALITY AS o(id, n) WHERE r.id = o.id AND r.position <> o.n - 1`.execute(
    trx,
  );
}

/** Removes a rule from evaluation; its versions stay, since requests reference them. */
export async function deleteRule(o: { ruleId: string; actor: string }): Promise<void> {
  await policyTransaction(async (trx) => {
    const rule = await liveRule(trx, o.ruleId);
    await appendEvents(trx, [await removeRule(trx, rule, o.actor)]);
  });
}

export async function removeRule(
  trx: Trx,
  rule: { id: string; name: string; enabled: boolean; position: number; currentVersion: number; definition: PolicyRuleDefinition },
  actor: string,
): Promise<AuditEventInput> {
  const now = new Date();
  await trx.updateTable("policyRules").set({ deletedAt: now, updatedAt: now }).where("id", "=", rule.id).execute();
  await trx
    .updateTable("policyRules")
    .set((eb) => ({ position: eb("position", "-", 1) }))
    .where("deletedAt", "is", null)
    .where("position", ">", rule.position)
    .execute();
  return {
    type: "policy.rule_deleted",
    actor,
    data: {
      rule_id: rule.id,
      name: rule.name,
      before: { position: rule.position, enabled: rule.enabled, version: rule.currentVersion, definition: rule.definition },
      after: null,
    },
  };
}

export async function getPolicyDefaults(q: Queryable = db()): Promise<PolicyDefaults> {
  const row = await q.selectFrom("settings").select("value").where("key", "=", DEFAULT_SETTING_KEY).executeTakeFirst();
  return parsePolicyDefaults(row?.value ?? {});
}

/** Sets what applies when no rule matches (always `require_approval`: the engine fails closed). */
export async function setPolicyDefault(o: { defaults: unknown; actor: string }): Promise<PolicyDefaults> {
  const defaults = parsePolicyDefaults(o.defaults);
  return policyTransaction(async (trx) => {
    const event = await writeDefaults(trx, defaults, o.actor);
    if (event) await appendEvents(trx, [event]);
    return defaults;
  });
}

export async function writeDefaults(trx: Trx, defaults: PolicyDefaults, actor: string): Promise<AuditEventInput | null> {
  const before = await getPolicyDefaults(trx);
  if (canonicalJson(before) === canonicalJson(defaults)) return null;
  const value = JSON.stringify(defaults);
  const updatedAt = new Date();
  await trx
    .insertInto("settings")
    .values({ key: DEFAULT_SETTING_KEY, value, updatedAt })
    .onConflict((oc) => oc.column("key").doUpdateSet({ value, updatedAt }))
    .execute();
  return { type: "policy.default_changed", actor, data: { before, after: defaults } };
}
