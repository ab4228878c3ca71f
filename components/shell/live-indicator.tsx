export type LiveState = "connecting" | "live" | "offline";

const LABELS: Record<LiveState, { text: string; dot: string; title: string }> = {
  live: { text: "Live", dot: "bg-emerald-500", title: "Receiving new requests and decisions as they happen" },
  connecting: { text: "Connecting", dot: "bg-amber-400 animate-pulse", title: "Connecting to live updates" },
  offline: { text: "Offline", dot: "bg-red-500", title: "Live updates are disconnected; reload the page" },
};

/** Whether the dashboard is receiving live updates. */
export function LiveIndicator({ state }: { state: LiveState }) {
  const l = LABELS[state];
  return (
    <span className="inline-flex items-center gap-1.5 text-xs text-zinc-500" title={l.title} data-testid="live-indicator" data-state={state}>
      <span className={`size-2 rounded-full ${l.dot}`} aria-hidden="true" />
      <span className="hidden sm:inline">{l.text}</span>
    </span>
  );
}
