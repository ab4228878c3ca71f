import "server-only";
import { sql } from "kysely";
import { db } from "../db.ts";
import { AppError } from "../errors.ts";
import type { RuleObject, RuleVersionObject } from "../schemas/policy.ts";
import { listRules, type RuleVersionView, type RuleView } from "./rules.ts";
import { type ShadowHits, shadowHits } from "./shadow-hits.ts";

/**
 * The console's view of rules: actors (`user:usr_…`, `admin_token:…`) become
 * something a person recognises, an email or a token's name.
 */
async function actorLabels(actors: string[]): Promise<Map<string, string>> {
  const ids = (prefix: string) => [...new Set(actors.filter((a) => a.startsWith(prefix)).map((a) => a.slice(prefix.length)))];
  const [users, tokens] = await Promise.all([
    db()
      .selectFrom("users")
      .select(["id", "email"])
      .where("id", "=", sql<string>`any(${ids("user:")})`)
      .execute(),
    db()
      .selectFrom("adminTokens")
      .select(["id", "name"])
      .where("id", "=", sql<string>`any(${ids("admin_token:")})`)
      .execute(),
  ]);
  const labels = new Map<string, string>();
  for (const u of users) labels.set(`user:${u.id}`, u.email);
  for (const t of tokens) labels.set(`admin_token:${t.id}`, `admin token ${t.name}`);
  return labels;
}

const label = (labels: Map<string, string>, actor: string) => labels.get(actor) ?? actor;

/** Rules in evaluation order, each with who wrote its current version. */
export async function ruleObjects(): Promise<RuleObject[]> {
  const rules = await listRules();
  const current = await db()
    .selectFrom("policyRuleVersions")
    .select(["ruleId", "createdBy"])
    .where(sql<boolean>`(rule_id, version) IN (SELECT * FROM unnest(${rules.map((r) => r.id)}::text[], ${rules.map((r) => r.version)}::int[]))`)
    .execute();
  const authors = new Map(current.map((v) => [v.ruleId, v.createdBy]));
  const [labels, hits] = await Promise.all([actorLabels([...authors.values()]), shadowHits(rules.filter((r) => r.definition.mode === "shadow"))]);
  return rules.map((r) => toRuleObject(r, label(labels, authors.get(r.id) ?? ""), hits.get(r.id) ?? null));
}

export async function ruleObject(id: string): Promise<RuleObject> {
  const rule = (await ruleObjects()).find((r) => r.id === id);
  if (!rule) throw new AppError("not_found", "no such rule");
  return rule;
}

function toRuleObject(r: RuleView, updatedBy: string, hits: ShadowHits | null): RuleObject {
  return {
    id: r.id,
    name: r.name,
    position: r.position,
    enabled: r.enabled,
    version: r.version,
    definition: { ...r.definition, enabled: r.enabled, mode: r.definition.mode ?? "enforce" },
    updated_at: r.updatedAt.toISOString(),
    updated_by: updatedBy,
    shadow_hits: hits,
  };
}

export async function versionObjects(versions: RuleVersionView[]): Promise<RuleVersionObject[]> {
  const labels = await actorLabels(versions.map((v) => v.createdBy));
  return versions.map((v) => ({
    version: v.version,
    definition: { ...v.definition, mode: v.definition.mode ?? "enforce" },
    created_by: label(labels, v.createdBy),
    created_at: v.createdAt.toISOString(),
  }));
}
