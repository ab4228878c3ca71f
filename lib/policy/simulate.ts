import { pool } from "../db.ts";
import { compileCondition } from "./cel.ts";
import { decide, firstMatch, type CompiledRule, type RuleSet } from "./match-rules.ts";
import type { PolicyRuleDefinition } from "./policy-document.ts";
import type { PolicyInput } from "./resolve-policy.ts";
import { loadRuleSet } from "./rule-set.ts";
import { parseRuleDefinition } from "./validate-policy.ts";
import type { SimulatedOutcome } from "../schemas/policy.ts";

export type { SimulatedOutcome };

export const DRAFT_RULE_ID = "pol_draft";

export interface SimulateRuleOptions {
  draft: PolicyRuleDefinition;
  /** Where the draft would sit (0-based); replaces the rule of the same name, else goes last. */
  position?: number;
  /** A hand-written request. */
  sample?: {
    action: string;
    resource?: string | null;
    params?: Record<string, unknown>;
    context?: Record<string, unknown>;
    agent?: Partial<PolicyInput["agent"]>;
    /** Flag codes and score; omitted, the sample is not assessed (conditions on risk fail closed, as in production). */
    risk?: { flags: string[]; score?: number };
  };
  /** Also replay the last N real requests (at most 500). */
  lastN?: number;
  now?: Date;
}

/**
 * Tests a draft rule before it is saved: for a sample and for recent real
 * requests, which rule applies now and which would apply with the draft in
 * place, and whether the outcome changes. Reads the rule set fresh from the
 * database (not the evaluation cache) and changes nothing.
 */
export async function simulateRule(o: SimulateRuleOptions): Promise<SimulatedOutcome[]> {
  const draft = parseRuleDefinition(o.draft);
  const now = o.now ?? new Date();
  const current = await loadRuleSet();
  const drafted: CompiledRule = {
    id: current.rules.find((r) => r.name === draft.name)?.id ?? DRAFT_RULE_ID,
    name: draft.name,
    version: 0,
    position: 0,
    enabled: draft.enabled ?? true,
    definition: draft,
    condition: draft.condition ? compileCondition(draft.condition) : null,
  };
  const others = current.rules.filter((r) => r.name !== draft.name);
  const replacedAt = current.rules.findIndex((r) => r.name === draft.name);
  const at = Math.max(0, Math.min(o.position ?? (replacedAt >= 0 ? replacedAt : others.length), others.length));
  const withDraft: RuleSet = { defaults: current.defaults, rules: [...others.slice(0, at), drafted, ...others.slice(at)] };

  const inputs: { source: string; input: PolicyInput }[] = [];
  if (o.sample) {
    const a = o.sample.agent ?? {};
    inputs.push({
      source: "sample",
      input: {
        action: o.sample.action,
        resource: o.sample.resource ?? null,
        params: o.sample.params ?? {},
        context: o.sample.context ?? {},
        agent: { id: a.id ?? "agt_sample", name: a.name ?? "sample-agent", tags: a.tags ?? [], trustLevel: a.trustLevel ?? "standard", ownerEmail: a.ownerEmail ?? null },
        risk: o.sample.risk ? { score: o.sample.risk.score ?? 0, flags: o.sample.risk.flags.map((code) => ({ code })) } : null,
      },
    });
  }
  if (o.lastN) inputs.push(...(await recentRequests(Math.min(o.lastN, 500))));

  return inputs.map(({ source, input }) => {
    const before = describe(current, input, now);
    const after = describe(withDraft, input, now);
    return {
      source,
      action: input.action,
      agent_name: input.agent.name,
      current: before,
      with_draft: after,
      draft_matches: firstMatch(withDraft.rules, input, now) === drafted,
      effect_changed: before.effect !== after.effect,
    };
  });
}

function describe(ruleSet: RuleSet, input: PolicyInput, now: Date) {
  const p = decide(ruleSet, input, now);
  return { rule_id: p.id, rule_name: p.name, effect: p.effect };
}

async function recentRequests(n: number): Promise<{ source: string; input: PolicyInput }[]> {
  const { rows } = await pool().query(
    `SELECT r.id, r.action, r.resource, r.params, r.context, r.risk, a.id AS agent_id, a.name, a.tags, a.trust_level, a.owner_email
       FROM action_requests r JOIN agents a ON a.id = r.agent_id
      ORDER BY r.created_at DESC LIMIT $1`,
    [n],
  );
  return rows.map((r) => ({
    source: r.id,
    input: {
      action: r.action,
      resource: r.resource,
      params: r.params ?? {},
      context: r.context ?? {},
      agent: { id: r.agent_id, name: r.name, tags: r.tags, trustLevel: r.trust_level, ownerEmail: r.owner_email },
      // The risk recorded when the request was created: replayed against the history of that moment, not today's.
      risk: r.risk,
    },
  }));
}
