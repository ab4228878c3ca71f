import "server-only";
import YAML from "yaml";
import { appendEvents, type AuditEventInput } from "../audit/append-event.ts";
import { canonicalJson } from "../crypto.ts";
import type { Trx } from "../db.ts";
import { AppError } from "../errors.ts";
import { parseStrictJson } from "../http/strict-json.ts";
import { PolicyDefaults, type PolicyDocument, PolicyRuleDefinition } from "./policy-document.ts";
import {
  getPolicyDefaults,
  insertRule,
  listRules,
  policyTransaction,
  removeRule,
  reviseRule,
  sameDefinition,
  writeDefaults,
  writeOrder,
  type RuleView,
} from "./rules.ts";
import { parsePolicyDocument } from "./validate-policy.ts";
import { getActionSeverities, writeActionSeverities } from "../settings/action-severity.ts";
import type { ActionSeverityRule } from "../risk/action-severity.ts";

/**
 * Policy as code: the whole rule set as one document (API.md, "Policy
 * file"), exported and imported through the CLI, the admin API and the
 * console.
 */

const RULE_KEYS = Object.keys(PolicyRuleDefinition.shape) as (keyof PolicyRuleDefinition)[];
const DEFAULT_KEYS = Object.keys(PolicyDefaults.shape) as (keyof PolicyDefaults)[];

function ordered<T extends object>(value: T, keys: (keyof T)[]): T {
  const out: Partial<T> = {};
  for (const k of keys) if (value[k] !== undefined) out[k] = value[k];
  return out as T;
}

function documentOf(rules: RuleView[], defaults: PolicyDefaults, severities: ActionSeverityRule[]): PolicyDocument {
  return {
    version: 1,
    default: ordered(defaults, DEFAULT_KEYS),
    rules: rules.map((r) => ordered({ ...r.definition, name: r.name, enabled: r.enabled }, RULE_KEYS)),
    // Only when set, so a file from before severities existed round-trips unchanged.
    ...(severities.length > 0 ? { action_severity: severities } : {}),
  };
}

/** The live rule set in evaluation order (disabled rules with `enabled: false`) and the default. */
export async function exportPolicyDocument(): Promise<PolicyDocument> {
  const [rules, defaults, severities] = await Promise.all([listRules(), getPolicyDefaults(), getActionSeverities()]);
  return documentOf(rules, defaults, severities);
}

export function serializePolicyDocument(document: PolicyDocument, format: "yaml" | "json"): string {
  if (format === "json") return `${JSON.stringify(document, null, 2)}\n`;
  return YAML.stringify(document, { lineWidth: 0 });
}

/** Reads YAML or JSON (JSON is YAML too, but its own parser gives better messages). */
export function parsePolicyText(text: string): unknown {
  const trimmed = text.trim();
  if (!trimmed) throw new AppError("validation_failed", "the policy document is empty", { errors: [{ path: "(document)", message: "empty" }] });
  if (trimmed.startsWith("{")) {
    try {
      return parseStrictJson(trimmed);
    } catch (err) {
      const e = err as AppError;
      const errors = e.errors?.map((f) => ({ path: f.path === "(body)" ? "(document)" : f.path, message: f.message }));
      throw new AppError("validation_failed", `the policy document is not valid JSON: ${errors?.[0]?.message ?? e.message}`, { errors });
    }
  }
  const doc = YAML.parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length) {
    const errors = doc.errors.map((e) => ({ path: "(document)", message: e.message.split("\n")[0] }));
    throw new AppError("validation_failed", `the policy document is not valid YAML: ${errors[0].message}`, { errors });
  }
  return doc.toJS();
}

export interface ImportPolicyOptions {
  /** YAML or JSON text; or `document`, already parsed. */
  text?: string;
  document?: unknown;
  dryRun?: boolean;
  actor: string;
}

export interface ImportPolicyResult {
  dryRun: boolean;
  added: string[];
  changed: string[];
  removed: string[];
  unchanged: string[];
  defaultChanged: boolean;
}

interface ImportPlan extends Omit<ImportPolicyResult, "dryRun"> {
  document: PolicyDocument;
}

/** Compares a document with the current rule set, rule by rule (by name). */
function planImport(current: RuleView[], defaults: PolicyDefaults, document: PolicyDocument): ImportPlan {
  const byName = new Map(current.map((r) => [r.name, r]));
  const wanted = new Set(document.rules.map((r) => r.name));
  // A rule that keeps its content but not its place among the surviving rules has changed too: order is policy.
  const oldOrder = current.filter((r) => wanted.has(r.name)).map((r) => r.name);
  const newOrder = document.rules.filter((r) => byName.has(r.name)).map((r) => r.name);
  const plan: ImportPlan = {
    document,
    added: [],
    changed: [],
    removed: [],
    unchanged: [],
    defaultChanged: canonicalJson(defaults) !== canonicalJson(document.default),
  };
  for (const rule of document.rules) {
    const existing = byName.get(rule.name);
    if (!existing) plan.added.push(rule.name);
    else if (!sameDefinition(existing.definition, rule) || existing.enabled !== rule.enabled || oldOrder.indexOf(rule.name) !== newOrder.indexOf(rule.name))
      plan.changed.push(rule.name);
    else plan.unchanged.push(rule.name);
  }
  plan.removed = current.filter((r) => !wanted.has(r.name)).map((r) => r.name);
  return plan;
}

/**
 * Replaces the rule set with a document, all or nothing: the document is
 * validated whole first (errors name the rule and field), then one
 * transaction removes the rules it does not list, adds the new ones, saves a
 * new version of each changed one and orders them as the file does. With
 * `dryRun`, reports the same lists and changes nothing.
 */
export async function importPolicyDocument(o: ImportPolicyOptions): Promise<ImportPolicyResult> {
  const raw = o.document !== undefined ? o.document : parsePolicyText(o.text ?? "");
  const document = parsePolicyDocument(raw);
  if (o.dryRun) {
    const plan = planImport(await listRules(), await getPolicyDefaults(), document);
    return result(plan, true);
  }
  return policyTransaction(async (trx) => {
    const plan = planImport(await listRules(trx), await getPolicyDefaults(trx), document);
    await applyPlan(trx, plan, o.actor);
    // A file without `action_severity` leaves the list as it is.
    if (document.action_severity !== undefined) await writeActionSeverities(trx, document.action_severity, o.actor);
    return result(plan, false);
  });
}

function result(plan: ImportPlan, dryRun: boolean): ImportPolicyResult {
  return { dryRun, added: plan.added, changed: plan.changed, removed: plan.removed, unchanged: plan.unchanged, defaultChanged: plan.defaultChanged };
}

async function applyPlan(trx: Trx, plan: ImportPlan, actor: string): Promise<void> {
  const events: AuditEventInput[] = [];
  const current = new Map((await listRules(trx)).map((r) => [r.name, r]));
  for (const name of plan.removed) {
    const rule = current.get(name)!;
    events.push(await removeRule(trx, { ...rule, currentVersion: rule.version }, actor));
  }
  const order: string[] = [];
  for (const definition of plan.document.rules) {
    const existing = current.get(definition.name);
    if (existing) {
      const revised = await reviseRule(trx, { ...existing, currentVersion: existing.version }, definition, actor);
      if (revised.event) events.push(revised.event);
      order.push(existing.id);
    } else {
      const created = await insertRule(trx, { definition, actor });
      events.push({
        type: "policy.rule_created",
        actor,
        data: { rule_id: created.ruleId, name: definition.name, version: created.version, before: null, after: created.after },
      });
      order.push(created.ruleId);
    }
  }
  await writeOrder(trx, order);
  const defaultEvent = await writeDefaults(trx, plan.document.default, actor);
  if (defaultEvent) events.push(defaultEvent);
  events.push({
    type: "policy.imported",
    actor,
    data: { added: plan.added, changed: plan.changed, removed: plan.removed, unchanged: plan.unchanged, default_changed: plan.defaultChanged },
  });
  await appendEvents(trx, events);
}
