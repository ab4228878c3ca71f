"use client";

import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { LiveIndicator, type LiveState } from "@/components/shell/live-indicator";
import { reviewKeys } from "./review-api";

/**
 * Listens to the server's review stream and refetches what changed: the queue
 * and history on every request event, and that request's detail. EventSource
 * reconnects by itself; every (re)connect starts with `ready`, and events
 * may have been missed while disconnected, so `ready` and `resync` refetch
 * everything.
 */
export function ReviewStream() {
  const client = useQueryClient();
  const [state, setState] = useState<LiveState>("connecting");

  useEffect(() => {
    const source = new EventSource("/api/v1/review/stream");
    let connectedOnce = false;
    const refetchAll = () => client.invalidateQueries({ queryKey: reviewKeys.all });

    source.addEventListener("ready", () => {
      setState("live");
      if (connectedOnce) void refetchAll();
      connectedOnce = true;
    });
    source.addEventListener("resync", () => void refetchAll());
    source.addEventListener("request", (event) => {
      let id: string | undefined;
      try {
        id = (JSON.parse((event as MessageEvent<string>).data) as { id?: string }).id;
      } catch {
        // Unreadable event: fall through to refetching the lists.
      }
      void client.invalidateQueries({ queryKey: reviewKeys.queue });
      void client.invalidateQueries({ queryKey: ["review", "history"] });
      if (id) void client.invalidateQueries({ queryKey: reviewKeys.request(id) });
    });
    source.onerror = () => setState(source.readyState === EventSource.CLOSED ? "offline" : "connecting");
    return () => source.close();
  }, [client]);

  return <LiveIndicator state={state} />;
}
