import "server-only";
import { appendEvent } from "../audit/append-event.ts";
import { prisma } from "../db.ts";
import { AppError } from "../errors.ts";
import { lockAgent, type AgentRef } from "./find-agent.ts";
import { generateAgentKey } from "./keys.ts";
import { liveKeySql } from "./live-key.ts";

/** What the console and the admin API show of a key: never the secret or its hash. */
export interface AgentKeyInfo {
  id: string;
  createdAt: Date;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

/** An agent may hold this many live keys at once: enough to rotate, few enough to keep track of. */
export const MAX_LIVE_KEYS = 5;

export type IssueAgentKeyOptions = AgentRef & { expiresAt?: Date | null; actor: string };

/**
 * Issues a new key for an agent. Existing keys stay live, so rotation is:
 * issue, deploy the new key, then revoke the old one. The key is returned
 * once; only the hash of its secret is kept.
 */
export async function issueAgentKey(o: IssueAgentKeyOptions): Promise<{ agentId: string; keyId: string; key: string; expiresAt: Date | null }> {
  if (o.expiresAt && o.expiresAt <= new Date()) {
    throw new AppError("validation_failed", "a key must expire in the future", { errors: [{ path: "expires_at", message: "in the past" }] });
  }
  const key = generateAgentKey();
  return prisma().$transaction(async (tx) => {
    const agent = await lockAgent(tx, o);
    if (agent.status === "retired") throw new AppError("conflict", `agent ${agent.name} is retired; its keys cannot be renewed`);
    const [{ live }] = await tx.$queryRawUnsafe<{ live: number }[]>(
      `SELECT count(*)::int AS live FROM agent_keys k WHERE k.agent_id = $1 AND ${liveKeySql("k")}`,
      agent.id,
    );
    if (live >= MAX_LIVE_KEYS) throw new AppError("conflict", `agent ${agent.name} already has ${live} live keys; revoke one first`);
    await tx.agentKey.create({ data: { id: key.id, agentId: agent.id, secretHash: key.secretHash, expiresAt: o.expiresAt ?? null } });
    await appendEvent(tx, {
      type: "agent.key_created",
      actor: o.actor,
      agentId: agent.id,
      data: { key_id: key.id, expires_at: o.expiresAt?.toISOString() ?? null },
    });
    return { agentId: agent.id, keyId: key.id, key: key.plaintext, expiresAt: o.expiresAt ?? null };
  });
}

export type RevokeAgentKeyOptions = AgentRef & { keyId: string; actor: string };

/** Revokes one key at once: its next call is 401, like an unknown key. */
export async function revokeAgentKey(o: RevokeAgentKeyOptions): Promise<AgentKeyInfo> {
  return prisma().$transaction(async (tx) => {
    const agent = await lockAgent(tx, o);
    const key = await tx.agentKey.findFirst({ where: { id: o.keyId, agentId: agent.id }, select: KEY_FIELDS });
    if (!key) throw new AppError("not_found", "no such key for this agent");
    if (key.revokedAt) throw new AppError("conflict", "the key is already revoked");
    const revoked = await tx.agentKey.update({ where: { id: key.id }, data: { revokedAt: new Date() }, select: KEY_FIELDS });
    await appendEvent(tx, {
      type: "agent.key_revoked",
      actor: o.actor,
      agentId: agent.id,
      data: { key_id: key.id, before: { revoked_at: null }, after: { revoked_at: revoked.revokedAt!.toISOString() } },
    });
    return revoked;
  });
}

const KEY_FIELDS = { id: true, createdAt: true, expiresAt: true, lastUsedAt: true, revokedAt: true } as const;

/** An agent's keys, newest first. */
export function listAgentKeys(agentId: string): Promise<AgentKeyInfo[]> {
  return prisma().agentKey.findMany({ where: { agentId }, select: KEY_FIELDS, orderBy: [{ createdAt: "desc" }, { id: "asc" }] });
}
