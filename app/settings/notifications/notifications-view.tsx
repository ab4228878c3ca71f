"use client";

import { useState } from "react";
import { useBrowserNotifications } from "../../_review/browser-notifications";
import type { NotificationPreferencesUpdate } from "@/lib/schemas/review";
import { useNotificationPreferences, useUpdateNotificationPreferences } from "../../_review/review-api";
import { Card } from "@/components/ui/card";
import { ListSkeleton } from "@/components/ui/list-skeleton";
import { LoadError } from "@/components/ui/load-error";
import { Notice } from "@/components/ui/notice";
import { PageHeader } from "@/components/ui/page-header";

type EmailKey = keyof NotificationPreferencesUpdate;

const EMAILS: { key: EmailKey; label: string; hint: string }[] = [
  { key: "email_new_requests", label: "New requests", hint: "A request arrives that you may decide." },
  { key: "email_reminders", label: "Reminders", hint: "Such a request is still undecided partway through its wait, and you have not voted." },
  { key: "email_escalations", label: "Escalations", hint: "A request nears expiry undecided and is escalated to a group you are in." },
  { key: "email_agent_alerts", label: "Agent alerts", hint: "An agent you own is suspended, by an admin or by automatic containment." },
];

export function NotificationsView() {
  const prefs = useNotificationPreferences();
  const update = useUpdateNotificationPreferences();
  const browser = useBrowserNotifications();
  // What the user just ticked, shown at once while it saves; the saved value takes over after (or on a refusal).
  const [draft, setDraft] = useState<Partial<Record<EmailKey, boolean>>>({});
  const toggle = (key: EmailKey, checked: boolean) => {
    setDraft((d) => ({ ...d, [key]: checked }));
    // mutateAsync settles for every call (mutate's own callbacks fire for the latest call only); the error shows below.
    void update
      .mutateAsync({ [key]: checked })
      .catch(() => {})
      .finally(() =>
        setDraft((d) => {
          const { [key]: _settled, ...rest } = d;
          return rest;
        }),
      );
  };

  return (
    <div className="mx-auto max-w-2xl space-y-6">
      <PageHeader title="Notifications" description="How Countersign tells you about work. These settings are yours alone." />

      <Card title="Email">
        {prefs.error ? (
          <LoadError what="your preferences" message={prefs.error.message} onRetry={() => void prefs.refetch()} />
        ) : !prefs.data ? (
          <ListSkeleton rows={4} />
        ) : (
          <div className="space-y-4">
            {!prefs.data.email_enabled ? (
              <Notice tone="warning" testId="email-disabled">
                This server sends no email yet: an admin sets <code className="font-mono text-xs">COUNTERSIGN_SMTP_URL</code>. Your choices are kept for when it
                does.
              </Notice>
            ) : null}
            <fieldset>
              <legend className="mb-2 text-sm text-zinc-500">Email me when:</legend>
              <ul className="divide-y divide-zinc-100">
                {EMAILS.map((e) => (
                  <li key={e.key}>
                    <label className="flex cursor-pointer items-start gap-3 py-2.5">
                      <input
                        type="checkbox"
                        className="mt-0.5 size-4 rounded border-zinc-300 accent-zinc-900"
                        checked={draft[e.key] ?? prefs.data[e.key]}
                        onChange={(ev) => toggle(e.key, ev.target.checked)}
                      />
                      <span className="min-w-0">
                        <span className="block text-sm font-medium text-zinc-900">{e.label}</span>
                        <span className="block text-sm text-zinc-500">{e.hint}</span>
                      </span>
                    </label>
                  </li>
                ))}
              </ul>
            </fieldset>
            <p className="h-5 text-sm" aria-live="polite" data-testid="preferences-status">
              {update.error ? (
                <span className="text-red-700">Not saved: {update.error.message}</span>
              ) : update.isSuccess ? (
                <span className="text-zinc-500">Saved.</span>
              ) : null}
            </p>
          </div>
        )}
      </Card>

      <Card title="This browser">
        <div className="flex flex-wrap items-center justify-between gap-4">
          <div className="min-w-0 text-sm">
            <p className="font-medium text-zinc-900">Desktop notifications</p>
            <p className="text-zinc-500" data-testid="browser-notifications-state">
              {browser.state === "on"
                ? "On: this browser shows a notification when a request you may decide arrives, while Countersign is open in a tab."
                : browser.state === "denied"
                  ? "Blocked in this browser's site settings. Allow notifications for this site there, then come back."
                  : browser.state === "unsupported"
                    ? "This browser cannot show notifications."
                    : "Off. Turn them on to hear about new work while Countersign is open in a background tab."}
            </p>
          </div>
          {browser.state === "on" ? (
            <button
              type="button"
              onClick={browser.disable}
              className="h-9 rounded-md border border-zinc-200 bg-white px-3 text-sm font-medium text-zinc-700 shadow-xs hover:bg-zinc-50"
            >
              Turn off
            </button>
          ) : browser.state === "off" ? (
            <button
              type="button"
              onClick={() => void browser.enable()}
              className="h-9 rounded-md bg-zinc-900 px-3 text-sm font-medium text-white shadow-xs hover:bg-zinc-800"
            >
              Turn on
            </button>
          ) : null}
        </div>
      </Card>
    </div>
  );
}
