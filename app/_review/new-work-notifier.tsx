"use client";

import { useRouter } from "next/navigation";
import { useEffect, useRef } from "react";
import { hiddenFindings } from "@/components/requests/hidden-characters-warning";
import { displayLine } from "@/lib/text/hidden-characters";
import { useBrowserNotifications } from "./browser-notifications";
import { usePendingRequests } from "./review-api";

/**
 * Shows a browser notification when a request this user may decide arrives
 * (the queue is live, so this watches it rather than a second stream). The
 * requests present when the page loaded are not new work. The notification's
 * tag is the request id, so several open tabs show it once.
 */
export function NewWorkNotifier() {
  const { state } = useBrowserNotifications();
  const { items } = usePendingRequests();
  const seen = useRef<Set<string> | null>(null);
  const router = useRouter();

  useEffect(() => {
    if (!items) return;
    const mine = items.filter((r) => r.can_decide);
    if (seen.current === null) {
      seen.current = new Set(mine.map((r) => r.id));
      return;
    }
    for (const r of mine) {
      if (seen.current.has(r.id)) continue;
      seen.current.add(r.id);
      if (state !== "on") continue;
      // Agent text, shown by the browser as plain text.
      const hidden = hiddenFindings(r).length > 0;
      const n = new Notification(`${hidden ? "⚠ " : ""}Approval needed: ${displayLine(r.summary)}`.slice(0, 120), {
        body: `${hidden ? "Hidden characters · " : ""}${r.agent.name} · ${r.action}${r.risk?.flags.length ? ` · ${r.risk.flags.length} risk flag${r.risk.flags.length === 1 ? "" : "s"}` : ""}`,
        tag: r.id,
      });
      n.onclick = () => {
        window.focus();
        router.push(`/requests/${r.id}`);
        n.close();
      };
    }
  }, [items, state, router]);

  return null;
}
