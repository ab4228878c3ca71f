-- Email notifications, reminders and escalation.
--
-- Emails are deliveries like webhooks (same outbox table, worker, retries and
-- history), addressed `mailto:`, and an "email" cursor over the audit log is
-- advanced only by instances with SMTP configured.

-- When the reminder (`request.expiring`) and the escalation (`request.escalated`)
-- of a pending request were recorded: each happens at most once per request.
ALTER TABLE "action_requests" ADD COLUMN "reminded_at" TIMESTAMPTZ(3);
ALTER TABLE "action_requests" ADD COLUMN "escalated_at" TIMESTAMPTZ(3);

-- Which emails a user wants. No row means every kind, the default.
CREATE TABLE "notification_preferences" (
    "user_id" TEXT NOT NULL,
    "email_new_requests" BOOLEAN NOT NULL DEFAULT TRUE,
    "email_reminders" BOOLEAN NOT NULL DEFAULT TRUE,
    "email_escalations" BOOLEAN NOT NULL DEFAULT TRUE,
    "email_agent_alerts" BOOLEAN NOT NULL DEFAULT TRUE,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "notification_preferences_pkey" PRIMARY KEY ("user_id"),
    CONSTRAINT "notification_preferences_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE
);
