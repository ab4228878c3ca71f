import "server-only";
import { appendEvents } from "../audit/append-event.ts";
import { db, type Trx, transact } from "../db.ts";
import { type ActionSeverityRule, parseSeverityRules } from "../risk/action-severity.ts";

/** The settings row (jsonb: an array of `{ pattern, severity }`); risk assessment reads it in its own query. */
export const ACTION_SEVERITY_KEY = "risk.action_severity";

type Queryable = ReturnType<typeof db> | Trx;

export async function getActionSeverities(q: Queryable = db()): Promise<ActionSeverityRule[]> {
  const row = await q.selectFrom("settings").select("value").where("key", "=", ACTION_SEVERITY_KEY).executeTakeFirst();
  return parseSeverityRules(row?.value);
}

const same = (a: ActionSeverityRule[], b: ActionSeverityRule[]) => JSON.stringify(a) === JSON.stringify(b);

/** Replaces the list inside the caller's transaction (the policy import); audited when it changed. Returns whether it did. */
export async function writeActionSeverities(trx: Trx, rules: ActionSeverityRule[], actor: string): Promise<boolean> {
  const before = await getActionSeverities(trx);
  const after = rules.map(({ pattern, severity }) => ({ pattern, severity }));
  if (same(before, after)) return false;
  const value = JSON.stringify(after);
  await trx
    .insertInto("settings")
    .values({ key: ACTION_SEVERITY_KEY, value })
    .onConflict((oc) => oc.column("key").doUpdateSet({ value, updatedAt: new Date() }))
    .execute();
  await appendEvents(trx, [{ type: "settings.action_severity_changed", actor, data: { before, after } }]);
  return true;
}

/** Sets what is at stake per action pattern (admin console, admin API). */
export async function setActionSeverities(o: { rules: ActionSeverityRule[]; actor: string }): Promise<ActionSeverityRule[]> {
  return transact(async (trx) => {
    await writeActionSeverities(trx, o.rules, o.actor);
    return getActionSeverities(trx);
  });
}
