import "server-only";
import { safeEqual, sha256Hex } from "../crypto.ts";
import { prisma, pool } from "../db.ts";
import { AppError } from "../errors.ts";
import { parseAgentKey } from "./keys.ts";
import { isLiveKey } from "./live-key.ts";

export interface AuthenticatedAgent {
  id: string;
  name: string;
  ownerEmail: string | null;
  tags: string[];
  trustLevel: string;
  /** The policy revision seen with the key (one query): the policy applied to this call is at least this new. */
  policyRevision?: string | null;
}

const UNAUTHENTICATED = "a valid agent key is required";
// Compared against when the key id is unknown, so every failure costs the same work.
const DUMMY_HASH = sha256Hex("countersign-dummy-secret");
// last_used_at / last_seen_at are refreshed at most this often, to keep a write off every call.
const TOUCH_INTERVAL_MS = 30_000;

/**
 * Resolves `Authorization: Bearer csk_…` to an active agent. Missing,
 * malformed, unknown, revoked and expired keys all fail with the same 401 so
 * a caller learns nothing about which keys exist; a suspended agent is 403.
 */
export async function authenticateAgent(authorization: string | null): Promise<AuthenticatedAgent> {
  const match = authorization ? /^Bearer\s+(\S+)$/i.exec(authorization) : null;
  const parsed = match ? parseAgentKey(match[1]) : null;
  const key = parsed ? await findKey(parsed.id) : null;
  const matches = safeEqual(key?.secretHash ?? DUMMY_HASH, sha256Hex(parsed?.secret ?? ""));
  const now = new Date();
  if (!key || !matches || !isLiveKey(key, now) || key.agent.status === "retired") {
    throw new AppError("unauthenticated", UNAUTHENTICATED);
  }
  if (key.agent.status === "suspended") throw new AppError("agent_suspended", "this agent is suspended");

  if (!key.lastUsedAt || now.getTime() - key.lastUsedAt.getTime() > TOUCH_INTERVAL_MS) {
    // Best effort and off the request path: a missed touch loses nothing that matters.
    void prisma()
      .$transaction([
        prisma().agentKey.update({ where: { id: key.id }, data: { lastUsedAt: now } }),
        prisma().agent.update({ where: { id: key.agentId }, data: { lastSeenAt: now } }),
      ])
      .catch(() => {});
  }
  return key.agent;
}

interface KeyRow {
  id: string;
  agentId: string;
  secretHash: string;
  expiresAt: Date | null;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
  agent: AuthenticatedAgent & { status: string };
}

// One round trip on every agent call: the key and its agent, joined.
async function findKey(id: string): Promise<KeyRow | null> {
  const { rows } = await pool().query({
    name: "cs_agent_key",
    text: `SELECT k.id, k.agent_id, k.secret_hash, k.expires_at, k.revoked_at, k.last_used_at,
            a.name, a.owner_email, a.tags, a.trust_level, a.status::text AS status,
            (SELECT value #>> '{}' FROM settings WHERE key = 'policy.revision') AS policy_revision
       FROM agent_keys k JOIN agents a ON a.id = k.agent_id
      WHERE k.id = $1`,
    values: [id],
  });
  const r = rows[0];
  if (!r) return null;
  return {
    id: r.id,
    agentId: r.agent_id,
    secretHash: r.secret_hash,
    expiresAt: r.expires_at,
    revokedAt: r.revoked_at,
    lastUsedAt: r.last_used_at,
    agent: {
      id: r.agent_id,
      name: r.name,
      ownerEmail: r.owner_email,
      tags: r.tags,
      trustLevel: r.trust_level,
      status: r.status,
      policyRevision: r.policy_revision,
    },
  };
}
