import { deliveryConfig } from "@/lib/delivery/config";
import { json, readBody } from "@/lib/http/body";
import { withSession } from "@/lib/http/with-session";
import { getPreferences, updatePreferences } from "@/lib/notifications/preferences";
import { NotificationPreferencesUpdate } from "@/lib/schemas/review";

/** The signed-in user's own email preferences (anyone signed in: owners of agents get alerts too). */
export const GET = withSession(["admin", "reviewer", "auditor"], async (_req, { user }) => {
  return json({ ...(await getPreferences(user.id)), email_enabled: deliveryConfig().email !== null });
});

export const PUT = withSession(["admin", "reviewer", "auditor"], async (req, { user }) => {
  const changes = await readBody(req, NotificationPreferencesUpdate);
  return json({ ...(await updatePreferences({ userId: user.id, changes })), email_enabled: deliveryConfig().email !== null });
});
