import { z } from "../schemas/zod.ts";

/*
 * Automatic containment: rules an admin chooses that suspend an agent (the
 * kill switch) when its request rate or its denial rate crosses a threshold.
 * This file is the pure part: the settings' shape and the threshold tests.
 */

const name = z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,63}$/, "an agent name: a-z, 0-9, _ . - (at most 64)");
const tag = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]*$/, "tags use letters, digits, _ . : -");

export const RequestRateRule = z
  .strictObject({
    max_requests: z
      .number()
      .int()
      .min(1)
      .max(1_000_000)
      .openapi({ description: "The most requests an agent may create within the window; one more suspends it.", example: 100 }),
    window_seconds: z.number().int().min(1).max(86_400).openapi({ description: "The sliding window, in seconds (at most a day).", example: 60 }),
  })
  .openapi("ContainmentRequestRate", { description: "Suspend an agent that creates more than `max_requests` requests within `window_seconds`." });

export const DenialRateRule = z
  .strictObject({
    max_ratio: z
      .number()
      .min(0)
      .lt(1)
      .openapi({ description: "The highest share of decisions that may be denials, from 0 up to (not including) 1; a higher share suspends.", example: 0.5 }),
    min_decisions: z
      .number()
      .int()
      .min(1)
      .max(100_000)
      .openapi({ description: "Decisions (approvals and denials) needed within the window before the ratio counts.", example: 10 }),
    window_seconds: z.number().int().min(60).max(604_800).openapi({ description: "The sliding window, in seconds (one minute to a week).", example: 3600 }),
  })
  .openapi("ContainmentDenialRate", {
    description:
      "Suspend an agent when, of its requests decided within `window_seconds` (by people or by policy), at least `min_decisions` were decided and more than `max_ratio` of them were denied. Checked each time one of its requests is denied.",
  });

export const ContainmentScope = z
  .strictObject({
    names: z.array(name).max(100).optional(),
    tags: z.array(tag).max(100).optional(),
  })
  .openapi("ContainmentScope", { description: "The agents the rules apply to: a name or a tag in common. Null (or both lists empty): every agent." });

export const ContainmentSettings = z
  .strictObject({
    request_rate: RequestRateRule.nullable(),
    denial_rate: DenialRateRule.nullable(),
    agents: ContainmentScope.nullable().optional(),
  })
  .openapi("ContainmentSettingsBody", { description: "Both rules null: containment is off (the default)." });
export type ContainmentSettings = z.infer<typeof ContainmentSettings>;
export type RequestRateRule = z.infer<typeof RequestRateRule>;
export type DenialRateRule = z.infer<typeof DenialRateRule>;

/** The stored form: every field present, scope normalised. */
export interface ContainmentConfig {
  request_rate: RequestRateRule | null;
  denial_rate: DenialRateRule | null;
  agents: { names: string[]; tags: string[] } | null;
}

export const CONTAINMENT_OFF: ContainmentConfig = { request_rate: null, denial_rate: null, agents: null };

/** Fills defaults and drops an empty scope, so equal settings are stored (and audited) alike. */
export function normalizeContainment(s: ContainmentSettings): ContainmentConfig {
  const names = [...new Set(s.agents?.names ?? [])];
  const tags = [...new Set(s.agents?.tags ?? [])];
  return { request_rate: s.request_rate, denial_rate: s.denial_rate, agents: names.length || tags.length ? { names, tags } : null };
}

export function containmentEnabled(c: ContainmentConfig): boolean {
  return c.request_rate !== null || c.denial_rate !== null;
}

/** Whether the rules watch this agent: no scope means every agent. */
export function agentInScope(c: ContainmentConfig, agent: { name: string; tags: string[] }): boolean {
  if (!c.agents) return true;
  return c.agents.names.includes(agent.name) || c.agents.tags.some((t) => agent.tags.includes(t));
}

/** What an agent did that crossed a rule: the reason and the audit event's `containment` data. */
export interface Breach {
  reason: string;
  containment: {
    rule: "request_rate" | "denial_rate";
    observed: number;
    threshold: number;
    window_seconds: number;
    /** denial_rate only: the counts behind `observed`. */
    denied?: number;
    decisions?: number;
    min_decisions?: number;
  };
}

/** More than `max_requests` requests within the window. */
export function requestRateBreach(rule: RequestRateRule, requests: number): Breach | null {
  if (requests <= rule.max_requests) return null;
  return {
    reason: `automatic containment: ${requests} requests in ${rule.window_seconds} s, above the limit of ${rule.max_requests}`,
    containment: { rule: "request_rate", observed: requests, threshold: rule.max_requests, window_seconds: rule.window_seconds },
  };
}

/** At least `min_decisions` decisions within the window, and a larger share than `max_ratio` of them denials. */
export function denialRateBreach(rule: DenialRateRule, counts: { denied: number; decisions: number }): Breach | null {
  const { denied, decisions } = counts;
  if (decisions < rule.min_decisions || decisions === 0) return null;
  const ratio = denied / decisions;
  if (ratio <= rule.max_ratio) return null;
  return {
    reason: `automatic containment: ${denied} of ${decisions} decisions denied in ${rule.window_seconds} s (${percent(ratio)}), above the limit of ${percent(rule.max_ratio)}`,
    containment: {
      rule: "denial_rate",
      observed: Math.round(ratio * 10_000) / 10_000,
      threshold: rule.max_ratio,
      window_seconds: rule.window_seconds,
      denied,
      decisions,
      min_decisions: rule.min_decisions,
    },
  };
}

function percent(ratio: number): string {
  return `${Math.round(ratio * 1000) / 10} %`;
}

const CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz";

/**
 * The smallest request id that can have been made at or after `at`: ids
 * start with their creation time (lib/ids.ts), so `id >= this` selects the
 * requests of a time window on the `(agent_id, id)` index.
 */
export function firstRequestIdAt(at: Date): string {
  let time = Math.max(0, at.getTime());
  let head = "";
  for (let i = 0; i < 10; i++) {
    head = CROCKFORD[time % 32] + head;
    time = Math.floor(time / 32);
  }
  return `req_${head}`;
}
