import "server-only";
import { appendEvents } from "../audit/append-event.ts";
import { db, type Row, transact } from "../db.ts";
import { AppError } from "../errors.ts";
import { lockAgent, type AgentRef } from "./find-agent.ts";
import { generateAgentKey } from "./keys.ts";
import { liveKey } from "./live-key.ts";

const KEY_FIELDS = ["id", "createdAt", "expiresAt", "lastUsedAt", "revokedAt"] as const;

/** What the console and the admin API show of a key: never the secret or its hash. */
export type AgentKeyInfo = Pick<Row<"agentKeys">, (typeof KEY_FIELDS)[number]>;

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
  return transact(async (trx) => {
    const agent = await lockAgent(trx, o);
    if (agent.status === "retired") throw new AppError("conflict", `agent ${agent.name} is retired; its keys cannot be renewed`);
    const { live } = await trx
      .selectFrom("agentKeys as k")
      .select((eb) => eb.cast<number>(eb.fn.countAll(), "integer").as("live"))
      .where("k.agentId", "=", agent.id)
      .where(liveKey)
      .executeTakeFirstOrThrow();
    if (live >= MAX_LIVE_KEYS) throw new AppError("conflict", `agent ${agent.name} already has ${live} live keys; revoke one first`);
    await trx
      .insertInto("agentKeys")
      .values({ id: key.id, agentId: agent.id, secretHash: key.secretHash, expiresAt: o.expiresAt ?? null })
      .execute();
    await appendEvents(trx, [
      { type: "agent.key_created", actor: o.actor, agentId: agent.id, data: { key_id: key.id, expires_at: o.expiresAt?.toISOString() ?? null } },
    ]);
    return { agentId: agent.id, keyId: key.id, key: key.plaintext, expiresAt: o.expiresAt ?? null };
  });
}

export type RevokeAgentKeyOptions = AgentRef & { keyId: string; actor: string };

/** Revokes one key at once: its next call is 401, like an unknown key. */
export async function revokeAgentKey(o: RevokeAgentKeyOptions): Promise<AgentKeyInfo> {
  return transact(async (trx) => {
    const agent = await lockAgent(trx, o);
    const key = await trx.selectFrom("agentKeys").select(["id", "revokedAt"]).where("id", "=", o.keyId).where("agentId", "=", agent.id).executeTakeFirst();
    if (!key) throw new AppError("not_found", "no such key for this agent");
    if (key.revokedAt) throw new AppError("conflict", "the key is already revoked");
    const revokedAt = new Date();
    const revoked = await trx.updateTable("agentKeys").set({ revokedAt }).where("id", "=", key.id).returning(KEY_FIELDS).executeTakeFirstOrThrow();
    await appendEvents(trx, [
      {
        type: "agent.key_revoked",
        actor: o.actor,
        agentId: agent.id,
        data: { key_id: key.id, before: { revoked_at: null }, after: { revoked_at: revokedAt.toISOString() } },
      },
    ]);
    return revoked;
  });
}

/** An agent's keys, newest first. */
export function listAgentKeys(agentId: string): Promise<AgentKeyInfo[]> {
  return db().selectFrom("agentKeys").select(KEY_FIELDS).where("agentId", "=", agentId).orderBy("createdAt", "desc").orderBy("id", "asc").execute();
}
