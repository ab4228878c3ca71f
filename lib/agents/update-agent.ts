import "server-only";
import { appendEvents } from "../audit/append-event.ts";
import { transact } from "../db.ts";
import { AppError } from "../errors.ts";
import { lockAgent, type AgentRef } from "./find-agent.ts";

export interface AgentMetadata {
  description?: string | null;
  ownerEmail?: string | null;
  /** `low`, `standard`, `high`, or the organisation's own word. */
  trustLevel?: string;
  tags?: string[];
}

export type UpdateAgentOptions = AgentRef & { changes: AgentMetadata; actor: string };

const FIELD_NAMES = { description: "description", ownerEmail: "owner", trustLevel: "trust_level", tags: "tags" } as const;

/**
 * Edits an agent's descriptive fields. Only fields present in `changes` are
 * touched; the audit event records each changed field before and after.
 * Policy rules match on tags and trust level, so these edits matter.
 */
export async function updateAgent(o: UpdateAgentOptions): Promise<{ agentId: string; changed: string[] }> {
  const next: AgentMetadata = {};
  if (o.changes.description !== undefined) next.description = o.changes.description?.trim() || null;
  if (o.changes.ownerEmail !== undefined) next.ownerEmail = o.changes.ownerEmail?.trim().toLowerCase() || null;
  if (o.changes.trustLevel !== undefined) {
    const t = o.changes.trustLevel.trim();
    if (!t) throw new AppError("validation_failed", "a trust level is required", { errors: [{ path: "trust_level", message: "empty" }] });
    next.trustLevel = t;
  }
  if (o.changes.tags !== undefined) next.tags = [...new Set(o.changes.tags.map((t) => t.trim()).filter(Boolean))];

  return transact(async (trx) => {
    const locked = await lockAgent(trx, o);
    const current = await trx
      .selectFrom("agents")
      .select(["description", "ownerEmail", "trustLevel", "tags"])
      .where("id", "=", locked.id)
      .executeTakeFirstOrThrow();
    const before: Record<string, unknown> = {};
    const after: Record<string, unknown> = {};
    for (const field of Object.keys(next) as (keyof AgentMetadata)[]) {
      const was = current[field];
      const now = next[field];
      if (JSON.stringify(was) === JSON.stringify(now)) continue;
      before[FIELD_NAMES[field]] = was;
      after[FIELD_NAMES[field]] = now;
    }
    const changed = Object.keys(after);
    if (changed.length === 0) return { agentId: locked.id, changed };
    await trx.updateTable("agents").set(next).where("id", "=", locked.id).execute();
    await appendEvents(trx, [{ type: "agent.updated", actor: o.actor, agentId: locked.id, data: { name: locked.name, before, after } }]);
    return { agentId: locked.id, changed };
  });
}
