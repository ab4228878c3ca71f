import "server-only";
import { appendEvents } from "../audit/append-event.ts";
import { db, transact } from "../db.ts";
import { logger } from "../logger.ts";
import { CONTAINMENT_OFF, ContainmentSettings, normalizeContainment, type ContainmentConfig } from "./rules.ts";

const KEY = "containment.rules";
/**
 * How long a process trusts its copy. The setting is read on every request an
 * agent creates, so it is cached; a change made through this process clears
 * the copy at once, and other instances see it within this time.
 */
export const CACHE_MS = 5_000;

export interface StoredContainment {
  config: ContainmentConfig;
  updatedAt: Date | null;
}

interface Cache {
  value?: Promise<StoredContainment>;
  at: number;
  generation: number;
}

const cached: Cache = { at: 0, generation: 0 };

export function clearContainmentCache(): void {
  const c = cached;
  c.generation++;
  c.value = undefined;
}

/** The containment rules, from the database. A stored value that no longer parses counts as off, loudly. */
export async function readContainment(): Promise<StoredContainment> {
  const row = await db().selectFrom("settings").select(["value", "updatedAt"]).where("key", "=", KEY).executeTakeFirst();
  if (!row) return { config: CONTAINMENT_OFF, updatedAt: null };
  const parsed = ContainmentSettings.safeParse(row.value);
  if (!parsed.success) {
    logger.error({ setting: KEY }, "stored containment rules are invalid; containment is off");
    return { config: CONTAINMENT_OFF, updatedAt: row.updatedAt };
  }
  return { config: normalizeContainment(parsed.data), updatedAt: row.updatedAt };
}

/** The containment rules from this process's cache (at most `CACHE_MS` old). */
export function currentContainment(now = Date.now()): Promise<StoredContainment> {
  const c = cached;
  if (c.value && now - c.at < CACHE_MS) return c.value;
  const generation = c.generation;
  const loading = readContainment();
  c.value = loading;
  c.at = now;
  // A failed read is not kept: the next call tries again. A change saved while
  // this load ran leaves the cache to the newer generation.
  loading.catch(() => {
    if (c.generation === generation && c.value === loading) c.value = undefined;
  });
  return loading;
}

/** Replaces the rules; the change and its audit event (before and after) commit together. */
export async function setContainment(o: { settings: ContainmentSettings; actor: string }): Promise<StoredContainment> {
  const after = normalizeContainment(o.settings);
  const saved = await transact(async (trx) => {
    // The row's lock orders concurrent changes, so each event's `before` is what it replaced.
    const row = await trx.selectFrom("settings").select("value").where("key", "=", KEY).forUpdate().executeTakeFirst();
    const parsed = row ? ContainmentSettings.safeParse(row.value) : null;
    const before = parsed?.success ? normalizeContainment(parsed.data) : CONTAINMENT_OFF;
    const now = new Date();
    const value = JSON.stringify(after);
    await trx
      .insertInto("settings")
      .values({ key: KEY, value, updatedAt: now })
      .onConflict((oc) => oc.column("key").doUpdateSet({ value, updatedAt: now }))
      .execute();
    await appendEvents(trx, [{ type: "settings.containment_changed", actor: o.actor, data: { before, after } }]);
    return { config: after, updatedAt: now };
  });
  clearContainmentCache();
  return saved;
}
