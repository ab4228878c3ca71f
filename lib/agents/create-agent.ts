import "server-only";
import { appendEvents } from "../audit/append-event.ts";
import { transact } from "../db.ts";
import { generateWebhookSecret } from "../delivery/secrets.ts";
import { AppError } from "../errors.ts";
import { newId } from "../ids.ts";
import { seal } from "../sealing.ts";
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

/**
 * Registers an agent with its first API key and its callback secret (signs
 * `request.decided` to its requests' `callback_url`). Both are returned once;
 * only the key's hash is kept, and the secret is kept sealed.
 */
export async function createAgent(options: CreateAgentOptions): Promise<{ agentId: string; key: string; keyId: string; callbackSecret: string }> {
  if (!AGENT_NAME.test(options.name)) {
    throw new AppError("validation_failed", "agent name must match ^[a-z0-9][a-z0-9_.-]{0,63}$", {
      errors: [{ path: "name", message: "invalid agent name" }],
    });
  }
  const agentId = newId("agt");
  const key = generateAgentKey();
  const callbackSecret = generateWebhookSecret();
  await transact(async (trx) => {
    const existing = await trx.selectFrom("agents").select("id").where("name", "=", options.name).executeTakeFirst();
    if (existing) throw new AppError("conflict", `an agent named ${options.name} already exists`);
    await trx
      .insertInto("agents")
      .values({
        id: agentId,
        name: options.name,
        ownerEmail: options.ownerEmail?.toLowerCase() ?? null,
        description: options.description ?? null,
        tags: options.tags ?? [],
        trustLevel: options.trustLevel?.trim() || "standard",
      })
      .execute();
    await trx
      .insertInto("agentKeys")
      .values({ id: key.id, agentId, secretHash: key.secretHash, expiresAt: options.keyExpiresAt ?? null })
      .execute();
    await trx
      .insertInto("agentCallbackSecrets")
      .values({ agentId, secretSealed: seal("webhook-secret-v1", callbackSecret) })
      .execute();
    await appendEvents(trx, [
      { type: "agent.created", actor: options.actor, agentId, data: { name: options.name, owner: options.ownerEmail ?? null } },
      { type: "agent.key_created", actor: options.actor, agentId, data: { key_id: key.id, expires_at: options.keyExpiresAt?.toISOString() ?? null } },
    ]);
  });
  return { agentId, key: key.plaintext, keyId: key.id, callbackSecret };
}
