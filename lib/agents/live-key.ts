import "server-only";
import { type ExpressionBuilder, sql } from "kysely";
import type { DB } from "../db.ts";

/**
 * What makes an agent key usable: it is not revoked and not expired. The rule
 * is needed in two forms, kept here side by side: over a loaded key, and as
 * SQL over an `agent_keys` row. (Whether its agent may call is a separate
 * question: retired agents fail authentication whatever their keys say.)
 */
export function isLiveKey(k: { revokedAt: Date | null; expiresAt: Date | null }, now = new Date()): boolean {
  return !k.revokedAt && (!k.expiresAt || k.expiresAt > now);
}

/** The same rule over the `agent_keys` row aliased `k`, at the statement's `now()`. */
export function liveKey(eb: ExpressionBuilder<{ k: DB["agentKeys"] }, "k">) {
  return eb.and([eb("k.revokedAt", "is", null), eb.or([eb("k.expiresAt", "is", null), eb("k.expiresAt", ">", sql<Date>`now()`)])]);
}
