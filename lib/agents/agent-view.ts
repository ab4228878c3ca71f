import "server-only";
import type { AgentObject, KeyObject } from "../schemas/admin-objects.ts";
import type { AgentKeyInfo } from "./keys-admin.ts";
import type { AgentSummary } from "./list-agents.ts";
import { isLiveKey } from "./live-key.ts";

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** An agent as the admin API answers it (snake_case, RFC 3339). */
export function toAgentObject(a: AgentSummary): AgentObject {
  return {
    id: a.id,
    name: a.name,
    description: a.description,
    owner: a.ownerEmail,
    trust_level: a.trustLevel,
    tags: a.tags,
    status: a.status,
    created_at: a.createdAt.toISOString(),
    last_seen_at: iso(a.lastSeenAt),
    live_keys: a.liveKeys,
    requests: { pending: a.pendingRequests, total: a.totalRequests },
  };
}
export type { AgentObject, KeyObject };

/** A key's metadata: never its secret or hash. */
export function toKeyObject(k: AgentKeyInfo, now = new Date()): KeyObject {
  return {
    id: k.id,
    created_at: k.createdAt.toISOString(),
    expires_at: iso(k.expiresAt),
    last_used_at: iso(k.lastUsedAt),
    revoked_at: iso(k.revokedAt),
    live: isLiveKey(k, now),
  };
}
