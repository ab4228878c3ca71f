"use client";

import { useCallback, useSyncExternalStore } from "react";

/**
 * Browser notifications on new work, per browser: the permission is the
 * browser's, and the on/off choice is kept in this browser's storage (a
 * reviewer may want them on the desk machine and not on the phone).
 */
const STORAGE_KEY = "countersign.browser-notifications";
const listeners = new Set<() => void>();

export type BrowserNotificationState = "unsupported" | "denied" | "off" | "on";

function read(): BrowserNotificationState {
  if (typeof window === "undefined" || !("Notification" in window)) return "unsupported";
  if (Notification.permission === "denied") return "denied";
  return Notification.permission === "granted" && localStorage.getItem(STORAGE_KEY) === "on" ? "on" : "off";
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  window.addEventListener("storage", listener);
  return () => {
    listeners.delete(listener);
    window.removeEventListener("storage", listener);
  };
}

const changed = () => {
  for (const l of listeners) l();
};

export function useBrowserNotifications() {
  const state = useSyncExternalStore(subscribe, read, () => "off" as const);
  const enable = useCallback(async () => {
    const permission = Notification.permission === "granted" ? "granted" : await Notification.requestPermission();
    if (permission === "granted") localStorage.setItem(STORAGE_KEY, "on");
    changed();
  }, []);
  const disable = useCallback(() => {
    localStorage.setItem(STORAGE_KEY, "off");
    changed();
  }, []);
  return { state, enable, disable };
}
