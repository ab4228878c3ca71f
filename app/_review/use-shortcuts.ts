"use client";

import { useEffect, useRef } from "react";

/** A handler may return `false`: not handled, the key does what it would have done. */
export type ShortcutHandlers = Partial<Record<string, (e: KeyboardEvent) => unknown>>;

/** Whether a key press belongs to something the person is typing into, not to the page's shortcuts. */
function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  if (target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  if (target instanceof HTMLInputElement) return !["checkbox", "radio", "button", "submit", "reset"].includes(target.type);
  return false;
}

/**
 * Single-key shortcuts for the page (`j`, `k`, `a`, `?`, …), keyed by
 * `KeyboardEvent.key`. Off while typing in a field, while a modal dialog is
 * open (it has its own keys) and with Ctrl, Alt or Meta held, so the
 * browser's and the system's own shortcuts keep working.
 */
export function useShortcuts(handlers: ShortcutHandlers, enabled = true): void {
  const latest = useRef(handlers);
  latest.current = handlers;
  useEffect(() => {
    if (!enabled) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || e.isComposing) return;
      if (isTyping(e.target) || document.querySelector("dialog[open]")) return;
      // Named keys by their lower-case name (`enter`); a character as typed (`?`, `j`).
      const handler = latest.current[e.key.length > 1 ? e.key.toLowerCase() : e.key];
      if (!handler) return;
      if (handler(e) !== false) e.preventDefault();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [enabled]);
}
