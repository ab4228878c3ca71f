import "server-only";
import { appendEventsPrisma, type AuditEventInput } from "../audit/append-event.ts";
import { canonicalJson } from "../crypto.ts";
import { prisma, type Tx, prismaTransact, announceOnCommit } from "../db.ts";
import { AppError } from "../errors.ts";
import { invalidateRuleSet, REVISION_SETTING_KEY } from "./rule-set.ts";
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
export async function policyTransaction<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
  const result = await prismaTransact(async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('countersign.policy'))`;
    const out = await work(tx);
    await tx.$executeRaw`
      INSERT INTO settings (key, value, updated_at) VALUES (${REVISION_SETTING_KEY}, '1'::jsonb, now())
      ON CONFLICT (key) DO UPDATE SET value = to_jsonb((settings.value #>> '{}')::bigint + 1), updated_at = now()`;
    announceOnCommit(tx, { kind: "policy" });
    return out;
  });
  invalidateRuleSet();
  return result;
}

/** What a version stores: the definition without `enabled`, which is the rule's switch, not its content. */
export function storedDefinition(definition: PolicyRuleDefinition): PolicyRuleDefinition {
  const { enabled: _enabled, ...rest } = definition;
  return JSON.parse(JSON.stringify(rest)) as PolicyRuleDefinition;
}

export function sameDefinition(a: PolicyRuleDefinition, b: PolicyRuleDefinition): boolean {
  return canonicalJson(storedDefinition(a)) === canonicalJson(storedDefinition(b));
}

export async function listRules(tx: Tx = prisma()): Promise<RuleView[]> {
  const rules = await tx.policyRule.findMany({ where: { deletedAt: null }, orderBy: [{ position: "asc" }, { id: "asc" }], include: { versions: true } });
  return rules.map((r) => {
    const current = r.versions.find((v) => v.version === r.currentVersion)!;
    return {
      id: r.id,
      name: r.name,
      position: r.position,
      enabled: r.enabled,
      version: r.currentVersion,
      definition: current.definition as PolicyRuleDefinition,
      updatedAt: r.updatedAt,
    };
  });
}

export async function getRuleHistory(o: { ruleId: string }): Promise<RuleVersionView[]> {
  const versions = await prisma().policyRuleVersion.findMany({ where: { ruleId: o.ruleId }, orderBy: { version: "desc" } });
  if (versions.length === 0) throw new AppError("not_found", "no such rule");
  return versions.map((v) => ({ version: v.version, definition: v.definition as PolicyRuleDefinition, createdBy: v.createdBy, createdAt: v.createdAt }));
}

export interface CreateRuleOptions {
  definition: unknown;
  /** 0-based place in the evaluation order; last when omitted. */
  position?: number;
  actor: string;
}

export async function createRule(o: CreateRuleOptions): Promise<{ ruleId: string; version: number }> {
  const definition = parseRuleDefinition(o.definition);
  return policyTransaction(async (tx) => {
    const created = await insertRule(tx, { definition, position: o.position, actor: o.actor });
    await appendEventsPrisma(tx, [
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
export async function insertRule(tx: Tx, o: { definition: PolicyRuleDefinition; position?: number; actor: string }) {
  const { definition } = o;
  const existing = await tx.policyRule.findUnique({ where: { name: definition.name } });
  if (existing && !existing.deletedAt) throw new AppError("conflict", `a rule named ${definition.name} already exists`);
  const count = await tx.policyRule.count({ where: { deletedAt: null } });
  const position = Math.max(0, Math.min(o.position ?? count, count));
  await tx.policyRule.updateMany({ where: { deletedAt: null, position: { gte: position } }, data: { position: { increment: 1 } } });
  const enabled = definition.enabled ?? true;
  const now = new Date();
  let ruleId: string;
  let version: number;
  if (existing) {
    ruleId = existing.id;
    version = existing.currentVersion + 1;
    await tx.policyRule.update({ where: { id: ruleId }, data: { deletedAt: null, position, enabled, currentVersion: version, updatedAt: now } });
  } else {
    ruleId = newId("pol");
    version = 1;
    await tx.policyRule.create({ data: { id: ruleId, name: definition.name, position, enabled, currentVersion: version, createdAt: now, updatedAt: now } });
  }
  await tx.policyRuleVersion.create({ data: { ruleId, version, definition: storedDefinition(definition), createdBy: o.actor, createdAt: now } });
  return { ruleId, version, after: { position, enabled, version, definition: storedDefinition(definition) } };
}

async function liveRule(tx: Tx, ruleId: string) {
  const rule = await tx.policyRule.findUnique({ where: { id: ruleId }, include: { versions: { orderBy: { version: "desc" }, take: 1 } } });
  if (!rule || rule.deletedAt) throw new AppError("not_found", "no such rule");
  return { ...rule, definition: rule.versions[0].definition as PolicyRuleDefinition };
}

export interface UpdateRuleOptions {
  ruleId: string;
  definition: unknown;
  actor: string;
}

/** Saves an edit as a new version (the `enabled` flag in `definition` also switches the rule). */
export async function updateRule(o: UpdateRuleOptions): Promise<{ ruleId: string; version: number }> {
  const definition = parseRuleDefinition(o.definition);
  return policyTransaction(async (tx) => {
    const rule = await liveRule(tx, o.ruleId);
    const result = await reviseRule(tx, rule, definition, o.actor);
    if (!result.event) return { ruleId: rule.id, version: rule.currentVersion };
    await appendEventsPrisma(tx, [result.event]);
    return { ruleId: rule.id, version: result.version };
  });
}

/** Writes a new version when the content differs, switches `enabled` when it differs; the audit event, or null when nothing changed. */
export async function reviseRule(
  tx: Tx,
  rule: { id: string; name: string; enabled: boolean; currentVersion: number; definition: PolicyRuleDefinition },
  definition: PolicyRuleDefinition,
  actor: string,
): Promise<{ version: number; event: AuditEventInput | null }> {
  const contentChanged = !sameDefinition(rule.definition, definition);
  const enabled = definition.enabled ?? true;
  if (!contentChanged && enabled === rule.enabled) return { version: rule.currentVersion, event: null };
  if (definition.name !== rule.name && (await tx.policyRule.findUnique({ where: { name: definition.name } }))) {
    throw new AppError("conflict", `a rule named ${definition.name} already exists`);
  }
  const version = contentChanged ? rule.currentVersion + 1 : rule.currentVersion;
  const now = new Date();
  if (contentChanged)
    await tx.policyRuleVersion.create({ data: { ruleId: rule.id, version, definition: storedDefinition(definition), createdBy: actor, createdAt: now } });
  await tx.policyRule.update({ where: { id: rule.id }, data: { name: definition.name, enabled, currentVersion: version, updatedAt: now } });
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
  await policyTransaction(async (tx) => {
    const rule = await liveRule(tx, o.ruleId);
    const result = await reviseRule(tx, rule, { ...rule.definition, enabled: o.enabled }, o.actor);
    if (result.event) await appendEventsPrisma(tx, [result.event]);
  });
}

/** Moves a rule to `position` (0-based) in the evaluation order. */
export async function moveRule(o: { ruleId: string; position: number; actor: string }): Promise<void> {
  await policyTransaction(async (tx) => {
    const rule = await liveRule(tx, o.ruleId);
    const order = (await tx.policyRule.findMany({ where: { deletedAt: null }, orderBy: [{ position: "asc" }, { id: "asc" }], select: { id: true } })).map(
      (r) => r.id,
    );
    const from = order.indexOf(rule.id);
    const to = Math.max(0, Math.min(o.position, order.length - 1));
    if (from === to) return;
    order.splice(from, 1);
    order.splice(to, 0, rule.id);
    await writeOrder(tx, order);
    await appendEventsPrisma(tx, [
      { type: "policy.rule_moved", actor: o.actor, data: { rule_id: rule.id, name: rule.name, before: { position: from }, after: { position: to } } },
    ]);
  });
}

/** Gives the live rules positions 0..n-1 in the order given. */
export async function writeOrder(tx: Tx, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await tx.$executeRawUnsafe(
    `UPDATE policy_rules r SET position = o.n - 1 FROM unnest($1::text[]) WITH ORDINALITY AS o(id, n) WHERE r.id = o.id AND r.position <> o.n - 1`,
    ids,
  );
}

/** Removes a rule from evaluation; its versions stay, since requests reference them. */
export async function deleteRule(o: { ruleId: string; actor: string }): Promise<void> {
  await policyTransaction(async (tx) => {
    const rule = await liveRule(tx, o.ruleId);
    await appendEventsPrisma(tx, [await removeRule(tx, rule, o.actor)]);
  });
}

export async function removeRule(
  tx: Tx,
  rule: { id: string; name: string; enabled: boolean; position: number; currentVersion: number; definition: PolicyRuleDefinition },
  actor: string,
): Promise<AuditEventInput> {
  await tx.policyRule.update({ where: { id: rule.id }, data: { deletedAt: new Date(), updatedAt: new Date() } });
  await tx.policyRule.updateMany({ where: { deletedAt: null, position: { gt: rule.position } }, data: { position: { decrement: 1 } } });
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

export async function getPolicyDefaults(tx: Tx = prisma()): Promise<PolicyDefaults> {
  const row = await tx.setting.findUnique({ where: { key: DEFAULT_SETTING_KEY } });
  return parsePolicyDefaults(row?.value ?? {});
}

/** Sets what applies when no rule matches (always `require_approval`: the engine fails closed). */
export async function setPolicyDefault(o: { defaults: unknown; actor: string }): Promise<PolicyDefaults> {
  const defaults = parsePolicyDefaults(o.defaults);
  return policyTransaction(async (tx) => {
    const event = await writeDefaults(tx, defaults, o.actor);
    if (event) await appendEventsPrisma(tx, [event]);
    return defaults;
  });
}

export async function writeDefaults(tx: Tx, defaults: PolicyDefaults, actor: string): Promise<AuditEventInput | null> {
  const before = await getPolicyDefaults(tx);
  if (canonicalJson(before) === canonicalJson(defaults)) return null;
  await tx.setting.upsert({
    where: { key: DEFAULT_SETTING_KEY },
    create: { key: DEFAULT_SETTING_KEY, value: defaults, updatedAt: new Date() },
    update: { value: defaults, updatedAt: new Date() },
  });
  return { type: "policy.default_changed", actor, data: { before, after: defaults } };
}
