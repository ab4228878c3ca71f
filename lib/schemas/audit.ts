import { z } from "./zod.ts";
import { anyObject } from "./json.ts";

const instant = (what: string) => z.iso.datetime({ offset: true }).openapi({ description: `${what} (RFC 3339).`, example: "2026-11-23T00:00:00Z" });

/** Filters shared by the event list and the export. Time bounds are half-open: `since` inclusive, `until` exclusive. */
const filterShape = {
  since: instant("Events at or after this instant").optional(),
  until: instant("Events before this instant (exclusive)").optional(),
  actor: z
    .string()
    .max(200)
    .regex(/^[a-z_]+(:[A-Za-z0-9_.@-]+)?$/, "an actor kind (agent, user, system, policy, executor, admin_token) or one actor (user:usr_…)")
    .optional()
    .openapi({
      description: "An actor kind (`agent`, `user`, `system`, `policy`, `executor`, `admin_token`) or one exact actor (`user:usr_…`).",
      example: "user",
    }),
  type: z
    .string()
    .max(128)
    .regex(/^[a-z_]+(\.[a-z_]+)*(\.\*)?$/, "an event type (request.approved) or a prefix (request.*)")
    .optional()
    .openapi({ description: "An event type, or a prefix ending in `.*`.", example: "request.*" }),
  request: z.string().max(100).optional().openapi({ description: "Only events of this request (`req_…`).", example: "req_01JD6TQ0R8E0S5V2YF9M3KQW7B" }),
  agent: z.string().max(100).optional().openapi({ description: "Only events of this agent (`agt_…`).", example: "agt_01JD6TPX3ZVQ9W4N8E2B5HKM1A" }),
  who: z.string().min(1).max(200).optional().openapi({
    description: "Only events whose actor is a person (name or email) or an agent (name) containing this text, case-insensitively (at most 50 such actors).",
  }),
};

export const AuditEventsQuery = z.strictObject({
  ...filterShape,
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z
    .string()
    .regex(/^\d{1,19}$/, "a seq from next_cursor")
    .optional()
    .openapi({ description: "`next_cursor` of the previous page: events before this seq." }),
});

export const AuditExportQuery = z.strictObject({
  ...filterShape,
  format: z.enum(["jsonl", "csv"]).default("jsonl").openapi({ description: "JSON lines (one event object a line) or CSV (RFC 4180, formula-safe)." }),
});

export const AuditEventSeqParam = z.strictObject({ seq: z.string().regex(/^\d{1,19}$/, "a positive integer") });

export const AuditEventObject = z
  .object({
    seq: z.number().int().openapi({ description: "Position in the chain, from 1." }),
    type: z.string(),
    actor: z.string().openapi({ description: "`agent:agt_…`, `user:usr_…`, `policy:pol_…`, `admin_token:…`, `system` or `executor`." }),
    request_id: z.string().nullable(),
    agent_id: z.string().nullable(),
    occurred_at: z.string(),
    data: anyObject,
    prev_hash: z.string().openapi({ description: "The previous event's hash (64 zeros for the first)." }),
    hash: z.string().openapi({ description: "SHA-256 (hex) of prev_hash, seq and the canonical (RFC 8785) event body." }),
  })
  .openapi("AuditEvent");
export type AuditEventObject = z.infer<typeof AuditEventObject>;

export const AuditEventList = z
  .object({
    data: z.array(AuditEventObject),
    next_cursor: z.string().nullable(),
    actors: z.record(z.string(), z.string()).openapi({
      description:
        "The page's actors by name, for people: `user:usr_…` → `Ana (ana@example.com)`, agents, rules and admin tokens by name. Actors no longer found are left out.",
    }),
  })
  .openapi("AuditEventList");
export type AuditEventList = z.infer<typeof AuditEventList>;

export const AuditCheckpointObject = z
  .object({
    seq: z.number().int(),
    head_hash: z.string(),
    event_count: z.number().int(),
    kid: z.string().openapi({ description: "The signing key, published at /.well-known/jwks.json." }),
    created_at: z.string(),
    token: z
      .string()
      .openapi({ description: "Compact JWT (`typ` `countersign-checkpoint+jwt`, EdDSA) whose claims are `seq`, `head_hash` and `event_count` (as strings)." }),
  })
  .openapi("AuditCheckpoint");
export type AuditCheckpointObject = z.infer<typeof AuditCheckpointObject>;

export const AuditCheckpointList = z.object({ data: z.array(AuditCheckpointObject) }).openapi("AuditCheckpointList");
export type AuditCheckpointList = z.infer<typeof AuditCheckpointList>;

export const CreatedCheckpoint = z
  .object({
    checkpoint: AuditCheckpointObject.nullable(),
    created: z.boolean().openapi({ description: "False when this head was already checkpointed (or the chain is empty)." }),
  })
  .openapi("CreatedAuditCheckpoint");
export type CreatedCheckpoint = z.infer<typeof CreatedCheckpoint>;

export const ChainVerificationObject = z
  .object({
    ok: z.boolean(),
    events: z.number().int().openapi({ description: "Events verified (up to the break, when broken)." }),
    from_seq: z.number().int().nullable().openapi({ description: "Intact: the first stored event (1, or the first kept after a retention deletion)." }),
    head_seq: z.number().int().nullable().openapi({ description: "Intact: the chain is intact up to this event." }),
    head_hash: z.string().nullable(),
    checkpoints: z.number().int().openapi({ description: "Signed checkpoints the chain was checked against." }),
    broken_at: z.number().int().nullable().openapi({ description: "Broken: the first event that does not verify." }),
    kind: z.enum(["edited", "missing", "out_of_order", "truncated"]).nullable(),
    reason: z.string().nullable(),
    unsealed_events: z.number().int().openapi({
      description:
        "Events recorded but not yet chained (the sealer chains committed events within a fraction of a second; a long transaction elsewhere in the database delays it). They are not covered by this verification.",
    }),
    oldest_unsealed_at: z.string().nullable().openapi({ description: "When the oldest unchained event occurred; null when every event is chained." }),
  })
  .openapi("AuditChainVerification");
export type ChainVerificationObject = z.infer<typeof ChainVerificationObject>;

export const AuditRetentionObject = z
  .object({
    days: z.number().int().nullable().openapi({ description: "Events are kept this many days; null: kept forever (nothing is ever deleted)." }),
    chain_start_seq: z.number().int().openapi({ description: "The first stored event: 1, or the first kept after a retention deletion." }),
  })
  .openapi("AuditRetention");
export type AuditRetentionObject = z.infer<typeof AuditRetentionObject>;

export const AuditRetentionBody = z
  .strictObject({
    days: z.number().int().min(1).max(36_500).nullable().openapi({ description: "Keep events this many days (1 to 36,500), or null to keep everything." }),
  })
  .openapi("AuditRetentionUpdate");

export const AuditRetentionApplied = z
  .object({
    deleted: z.number().int().openapi({ description: "How many events were deleted (0 when nothing was old enough, or without a policy)." }),
    from_seq: z.number().int().nullable(),
    through_seq: z.number().int().nullable(),
  })
  .openapi("AuditRetentionApplied");
export type AuditRetentionApplied = z.infer<typeof AuditRetentionApplied>;
