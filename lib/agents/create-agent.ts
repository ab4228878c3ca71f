import { appendEvents } from "../audit/append-event.ts";
import { db } from "../db.ts";
import { AppError } from "../errors.ts";
import { newId } from "../ids.ts";
import { generateAgentKey } from "./keys.ts";

export interface CreateAgentOptions {
  name: string;
  ownerEmail?: string | null;
  description?: string | null;
  tags?: string[];
  /** `low`, `standard` (default), `high`, or the organisation's own word. */
  trustLevel?: string;
  /** When the first key stops working; null or omitted for no expiry. */
  keyExpiresAt?: Date | null;
  /** Who did it, for the audit log: `user:usr_…` or `cli`. */
  actor: string;
}

export const AGENT_NAME = /^[a-z0-9][a-z0-9_.-]{0,63}$/;

/** Registers an agent with its first API key. The key is returned once and only its hash is kept. */
export async function createAgent(options: CreateAgentOptions): Promise<{ agentId: string; key: string; keyId: string }> {
  if (!AGENT_NAME.test(options.name)) {
    throw new AppError("validation_failed", "agent name must match ^[a-z0-9][a-z0-9_.-]{0,63}$", {
      errors: [{ path: "name", message: "invalid agent name" }],
    });
  }
  const agentId = newId("agt");
  const key = generateAgentKey();
  await db().$transaction(async (tx) => {
    const existing = await tx.agent.findUnique({ where: { name: options.name } });
    if (existing) throw new AppError("conflict", `an agent named ${options.name} already exists`);
    await tx.agent.create({
      data: {
        id: agentId,
        name: options.name,
        ownerEmail: options.ownerEmail?.toLowerCase() ?? null,
        description: options.description ?? null,
        tags: options.tags ?? [],
        trustLevel: options.trustLevel?.trim() || "standard",
      },
    });
    await tx.agentKey.create({ data: { id: key.id, agentId, secretHash: key.secretHash, expiresAt: options.keyExpiresAt ?? null } });
    await appendEvents(tx, [
      { type: "agent.created", actor: options.actor, agentId, data: { name: options.name, owner: options.ownerEmail ?? null } },
      { type: "agent.key_created", actor: options.actor, agentId, data: { key_id: key.id, expires_at: options.keyExpiresAt?.toISOString() ?? null } },
    ]);
  });
  return { agentId, key: key.plaintext, keyId: key.id };
}
