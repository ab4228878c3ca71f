import "server-only";
import { pool, transaction } from "../db.ts";
import { appendEventsPg } from "../audit/append-event.ts";

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

const COLUMNS = PREFERENCE_KEYS.join(", ");

export async function getPreferences(userId: string): Promise<NotificationPreferences> {
  const { rows } = await pool().query<NotificationPreferences>(`SELECT ${COLUMNS} FROM notification_preferences WHERE user_id = $1`, [userId]);
  return rows[0] ?? { ...DEFAULT_PREFERENCES };
}

/** Changes some of a user's preferences (the others keep their value) and records the change. */
export async function updatePreferences(o: { userId: string; changes: Partial<NotificationPreferences> }): Promise<NotificationPreferences> {
  return transaction(async (client) => {
    const { rows: before } = await client.query<NotificationPreferences>(`SELECT ${COLUMNS} FROM notification_preferences WHERE user_id = $1 FOR UPDATE`, [
      o.userId,
    ]);
    const after: NotificationPreferences = { ...(before[0] ?? DEFAULT_PREFERENCES) };
    for (const k of PREFERENCE_KEYS) if (typeof o.changes[k] === "boolean") after[k] = o.changes[k];
    await client.query(
      `INSERT INTO notification_preferences (user_id, email_new_requests, email_reminders, email_escalations, email_agent_alerts, updated_at)
       VALUES ($1, $2, $3, $4, $5, now())
       ON CONFLICT (user_id) DO UPDATE SET email_new_requests = $2, email_reminders = $3, email_escalations = $4, email_agent_alerts = $5, updated_at = now()`,
      [o.userId, after.email_new_requests, after.email_reminders, after.email_escalations, after.email_agent_alerts],
    );
    await appendEventsPg(client, [
      {
        type: "user.notification_preferences_changed",
        actor: `user:${o.userId}`,
        data: { user_id: o.userId, before: before[0] ?? DEFAULT_PREFERENCES, after },
      },
    ]);
    return after;
  });
}
