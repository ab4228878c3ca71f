import "server-only";
import { sql } from "kysely";
import { safeEqual, sha256Hex } from "../crypto.ts";
import { db } from "../db.ts";
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
/** Keys whose touch is under way in this process. */
const touching = new Set<string>();

/**
 * Resolves `Authorization: Bearer csk_…` to an active agent. Missing,
 * malformed, unknown, revoked and expired keys all fail with the same 401 so
 * a caller learns nothing about which keys exist; a suspended agent is 403.
 */
export async function authenticateAgent(authorization: string | null): Promise<AuthenticatedAgent> {
  const match = authorization ? /^Bearer\s+(\S+)$/i.exec(authorization) : null;
  const parsed = match ? parseAgentKey(match[1]) : null;
  const key = parsed ? await findKey(parsed.id) : undefined;
  const matches = safeEqual(key?.secretHash ?? DUMMY_HASH, sha256Hex(parsed?.secret ?? ""));
  const now = new Date();
  if (!key || !matches || !isLiveKey(key, now) || key.status === "retired") {
    throw new AppError("unauthenticated", UNAUTHENTICATED);
  }
  if (key.status === "suspended") throw new AppError("agent_suspended", "this agent is suspended");

  if ((!key.lastUsedAt || now.getTime() - key.lastUsedAt.getTime() > TOUCH_INTERVAL_MS) && !touching.has(key.id)) {
    // Best effort and off the request path: a missed touch loses nothing that matters.
    // One statement: the key's and the agent's timestamps move together. It never
    // waits: rows locked by someone else (a suspension, a create waiting for its
    // agent) are skipped, and one touch per key at a time, so touches can never
    // pile up on a lock holding the agents' connections.
    touching.add(key.id);
    void db()
      .with("touched", (q) =>
        q
          .updateTable("agentKeys")
          .set({ lastUsedAt: now })
          .where("id", "=", (eb) => eb.selectFrom("agentKeys").select("id").where("id", "=", key.id).forUpdate().skipLocked())
          .returning("id"),
      )
      .updateTable("agents")
      .set({ lastSeenAt: now })
      .where("id", "=", (eb) => eb.selectFrom("agents").select("id").where("id", "=", key.agentId).forNoKeyUpdate().skipLocked())
      .execute()
      .catch(() => {})
      .finally(() => touching.delete(key.id));
  }
  return {
    id: key.agentId,
    name: key.name,
    ownerEmail: key.ownerEmail,
    tags: key.tags,
    trustLevel: key.trustLevel,
    policyRevision: key.policyRevision,
  };
}

// One round trip on every agent call: the key, its agent and the policy revision.
function findKey(id: string) {
  return db()
    .selectFrom("agentKeys as k")
    .innerJoin("agents as a", "a.id", "k.agentId")
    .select((eb) => [
      "k.id",
      "k.agentId",
      "k.secretHash",
      "k.expiresAt",
      "k.revokedAt",
      "k.lastUsedAt",
      "a.name",
      "a.ownerEmail",
      "a.tags",
      "a.trustLevel",
      "a.status",
      eb
        .selectFrom("settings")
        .select(sql<string>`${sql.ref("value")} #>> '{}'`.as("revision"))
        .where("key", "=", "policy.revision")
        .as("policyRevision"),
    ])
    .where("k.id", "=", id)
    .executeTakeFirst();
}
