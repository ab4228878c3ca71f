import "server-only";
import { sql } from "kysely";
import { appendEvents } from "../audit/append-event.ts";
import { db, type Queryable, type Row, transact } from "../db.ts";

/** Which emails a user wants. Every kind is on until the user turns it off. */
export interface NotificationPreferences {
  email_new_requests: boolean;
  email_reminders: boolean;
  email_escalations: boolean;
  email_agent_alerts: boolean;
}

export const PREFERENCE_KEYS = ["email_new_requests", "email_reminders", "email_escalations", "email_agent_alerts"] as const;

export const DEFAULT_PREFERENCES: NotificationPreferences = {
  email_new_requests: true,
  email_reminders: true,
  email_escalations: true,
  email_agent_alerts: true,
};

const COLUMNS = ["emailNewRequests", "emailReminders", "emailEscalations", "emailAgentAlerts"] as const;

/** The stored row under the names of the API (and of the audit event's before and after). */
function preferencesOf(row: Pick<Row<"notificationPreferences">, (typeof COLUMNS)[number]>): NotificationPreferences {
  return {
    email_new_requests: row.emailNewRequests,
    email_reminders: row.emailReminders,
    email_escalations: row.emailEscalations,
    email_agent_alerts: row.emailAgentAlerts,
  };
}

async function stored(q: Queryable, userId: string, lock = false): Promise<NotificationPreferences | null> {
  const row = await q
    .selectFrom("notificationPreferences")
    .select(COLUMNS)
    .where("userId", "=", userId)
    .$if(lock, (qb) => qb.forUpdate())
    .executeTakeFirst();
  return row ? preferencesOf(row) : null;
}

export async function getPreferences(userId: string): Promise<NotificationPreferences> {
  return (await stored(db(), userId)) ?? { ...DEFAULT_PREFERENCES };
}

/** Changes some of a user's preferences (the others keep their value) and records the change. */
export async function updatePreferences(o: { userId: string; changes: Partial<NotificationPreferences> }): Promise<NotificationPreferences> {
  return transact(async (trx) => {
    const before = await stored(trx, o.userId, true);
    const after: NotificationPreferences = { ...(before ?? DEFAULT_PREFERENCES) };
    for (const k of PREFERENCE_KEYS) if (typeof o.changes[k] === "boolean") after[k] = o.changes[k];
    const values = {
      emailNewRequests: after.email_new_requests,
      emailReminders: after.email_reminders,
      emailEscalations: after.email_escalations,
      emailAgentAlerts: after.email_agent_alerts,
      updatedAt: sql<Date>`now()`,
    };
    await trx
      .insertInto("notificationPreferences")
      .values({ userId: o.userId, ...values })
      .onConflict((oc) => oc.column("userId").doUpdateSet(values))
      .execute();
    await appendEvents(trx, [
      {
        type: "user.notification_preferences_changed",
        actor: `user:${o.userId}`,
        data: { user_id: o.userId, before: before ?? DEFAULT_PREFERENCES, after },
      },
    ]);
    return after;
  });
}
