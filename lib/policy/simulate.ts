import "server-only";
import { sql } from "kysely";
import { db } from "../db.ts";
import { loadHistoryTotals } from "../history/approval-history.ts";
import { compileCondition, conditionBindings, conditionHistoryNeeds, type HistoryTotals } from "./cel.ts";
import { historyKey } from "./history-conditions.ts";
import { conditionVars, decide, firstMatch, historyNeedsFor, lazyBindings, ruleSelects, treatedAs, type CompiledRule, type RuleSet } from "./match-rules.ts";
import type { PolicyRuleDefinition } from "./policy-document.ts";
import type { PolicyInput, ResolvedPolicy } from "./resolve-policy.ts";
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
 * place, what changes in how each is handled, and where the draft's
 * condition errors. Reads the rule set fresh from the database (not the
 * evaluation cache) and changes nothing.
 */
export async function simulateRule(o: SimulateRuleOptions): Promise<SimulatedOutcome[]> {
  const draft = parseRuleDefinition(o.draft);
  const current = await loadRuleSet();
  const inputs: SimulationInput[] = [];
  if (o.sample) {
    const a = o.sample.agent ?? {};
    inputs.push({
      source: "sample",
      input: {
        action: o.sample.action,
        resource: o.sample.resource ?? null,
        params: o.sample.params ?? {},
        context: o.sample.context ?? {},
        agent: {
          id: a.id ?? "agt_sample",
          name: a.name ?? "sample-agent",
          tags: a.tags ?? [],
          trustLevel: a.trustLevel ?? "standard",
          ownerEmail: a.ownerEmail ?? null,
        },
        risk: o.sample.risk ? { score: o.sample.risk.score ?? 0, flags: o.sample.risk.flags.map((code) => ({ code })) } : null,
      },
    });
  }
  if (o.lastN) inputs.push(...(await recentRequests(Math.min(o.lastN, 500))));
  const now = o.now ?? new Date();
  const placed = placeDraft(current, draft, o.position);
  return simulatePlaced(placed, await withHistory(placed, inputs, now), now);
}

/**
 * Each input with the history totals that the rules selecting it read, with
 * the draft in place or not: the agent's approvals as of the replayed
 * request (to 5-minute precision: the buckets before the one it was made
 * in), or as of now for the sample. A total that cannot be read is left out:
 * that condition fails closed, as it would have.
 */
async function withHistory(placed: PlacedDraft, inputs: SimulationInput[], now: Date): Promise<SimulationInput[]> {
  const out: SimulationInput[] = [];
  // A few reads at a time: at most 500 requests, most of them reading nothing.
  for (let i = 0; i < inputs.length; i += 8) {
    out.push(
      ...(await Promise.all(
        inputs.slice(i, i + 8).map(async (item) => {
          const needs = new Map(
            [...historyNeedsFor(placed.current.rules, item.input).needs, ...historyNeedsFor(placed.withDraft.rules, item.input).needs].map((n) => [
              historyKey(n),
              n,
            ]),
          );
          if (needs.size === 0) return item;
          const at = item.at ?? now;
          const history = await loadHistoryTotals(db(), item.input.agent.id, [...needs.values()], at, item.at ? { before: at } : {}).catch(() => undefined);
          return { ...item, history };
        }),
      )),
    );
  }
  return out;
}

interface PlacedDraft {
  current: RuleSet;
  drafted: CompiledRule;
  withDraft: RuleSet;
}

/** The rule set with `draft` placed as `simulateRule` describes (replacing the rule of its name, else at `position` or last). */
function placeDraft(current: RuleSet, draft: PolicyRuleDefinition, position: number | undefined): PlacedDraft {
  const drafted: CompiledRule = {
    id: current.rules.find((r) => r.name === draft.name)?.id ?? DRAFT_RULE_ID,
    name: draft.name,
    version: 0,
    position: 0,
    enabled: draft.enabled ?? true,
    // A shadow draft is simulated as if enforced: what promoting it would do.
    definition: { ...draft, mode: "enforce" },
    condition: draft.condition ? compileCondition(draft.condition) : null,
    history: draft.condition ? conditionHistoryNeeds(draft.condition) : undefined,
  };
  const others = current.rules.filter((r) => r.name !== draft.name);
  const replacedAt = current.rules.findIndex((r) => r.name === draft.name);
  const at = Math.max(0, Math.min(position ?? (replacedAt >= 0 ? replacedAt : others.length), others.length));
  return { current, drafted, withDraft: { defaults: current.defaults, rules: [...others.slice(0, at), drafted, ...others.slice(at)] } };
}

export interface SimulationInput {
  source: string;
  input: PolicyInput;
  /** When a replayed request was made: its history is read as of then (the sample's as of now). */
  at?: Date;
  /**
   * The agent's history totals the rules' history calls read for this
   * request (`withHistory`); without them those conditions fail closed, as
   * when history is unavailable in production.
   */
  history?: HistoryTotals;
}

/** The simulation proper, free of I/O: `current` as it is, and with `draft` placed as `simulateRule` describes. */
export function simulateOver(
  current: RuleSet,
  draft: PolicyRuleDefinition,
  inputs: SimulationInput[],
  o: { position?: number; now: Date },
): SimulatedOutcome[] {
  return simulatePlaced(placeDraft(current, draft, o.position), inputs, o.now);
}

function simulatePlaced({ current, drafted, withDraft }: PlacedDraft, inputs: SimulationInput[], now: Date): SimulatedOutcome[] {
  return inputs.map(({ source, input, history = null }) => {
    const before = handling(decide(current, input, now, history));
    const after = handling(decide(withDraft, input, now, history));
    const changes = handlingChanges(before, after);
    return {
      source,
      action: input.action,
      agent_name: input.agent.name,
      current: before,
      with_draft: after,
      draft_matches: firstMatch(withDraft.rules, input, now, lazyBindings(input, now, history)).rule === drafted,
      effect_changed: before.effect !== after.effect,
      handling_changed: changes.length > 0,
      changes,
      draft_condition_error: draftConditionError(drafted, input, now, history),
    };
  });
}

/**
 * The draft's own condition on this request, wherever the draft sits: an
 * error here is what saving it would record (and count) for every such
 * request the draft is tried on.
 */
function draftConditionError(drafted: CompiledRule, input: PolicyInput, now: Date, history: HistoryTotals): SimulatedOutcome["draft_condition_error"] {
  if (!drafted.condition || !ruleSelects(drafted, input)) return null;
  const result = drafted.condition(conditionBindings(conditionVars(input, now), history));
  return result.ok ? null : { error: result.error, treated_as: treatedAs(drafted.definition.effect) };
}

type Handling = SimulatedOutcome["current"];

function handling(p: ResolvedPolicy): Handling {
  return {
    rule_id: p.id,
    rule_name: p.name,
    effect: p.effect,
    reason: p.denyReason,
    approvals_required: p.approvalsRequired,
    reviewer_groups: [...p.reviewerGroups].sort(),
    reason_required_to_approve: p.reasonRequiredToApprove,
    owner_may_decide: p.ownerMayDecide,
    reviewers_may_edit: [...p.reviewersMayEdit].sort(),
    wait_seconds: p.waitSeconds,
    grant_ttl_seconds: p.grantTtlSeconds,
    audience: p.audience,
    condition_errors: [...p.conditionErrors],
  };
}

/** What of handling matters for each effect: a deny has no reviewers, an allow no wait. */
const HANDLING_FIELDS = {
  require_approval: [
    "approvals_required",
    "reviewer_groups",
    "reason_required_to_approve",
    "owner_may_decide",
    "reviewers_may_edit",
    "wait_seconds",
    "grant_ttl_seconds",
    "audience",
  ],
  allow: ["grant_ttl_seconds", "audience"],
  deny: ["reason"],
} as const satisfies Record<Handling["effect"], readonly (keyof Handling)[]>;

/** Every difference in how a request is handled (not which rule says so): the effect, then the settings that apply to it. */
export function handlingChanges(before: Handling, after: Handling): SimulatedOutcome["changes"] {
  if (before.effect !== after.effect) return ["effect"];
  const fields: readonly SimulatedOutcome["changes"][number][] = HANDLING_FIELDS[after.effect];
  return fields.filter((field) => JSON.stringify(before[field]) !== JSON.stringify(after[field]));
}

async function recentRequests(n: number): Promise<SimulationInput[]> {
  const rows = await db()
    .selectFrom("actionRequests as r")
    .innerJoin("agents as a", "a.id", "r.agentId")
    .select([
      "r.id",
      "r.createdAt",
      "r.action",
      "r.resource",
      "r.params",
      "r.context",
      // Not in the generated row types (kept out of the ORM's reads, see schema.prisma).
      sql<PolicyInput["risk"]>`r.risk`.as("risk"),
      "a.id as agentId",
      "a.name",
      "a.tags",
      "a.trustLevel",
      "a.ownerEmail",
    ])
    .orderBy("r.createdAt", "desc")
    .limit(n)
    .execute();
  return rows.map((r) => ({
    source: r.id,
    at: r.createdAt,
    input: {
      action: r.action,
      resource: r.resource,
      // Stored from validated request bodies: JSON objects.
      params: (r.params ?? {}) as Record<string, unknown>,
      context: (r.context ?? {}) as Record<string, unknown>,
      agent: { id: r.agentId, name: r.name, tags: r.tags, trustLevel: r.trustLevel, ownerEmail: r.ownerEmail },
      // The risk recorded when the request was created: replayed against the history of that moment, not today's.
      risk: r.risk,
    },
  }));
}
