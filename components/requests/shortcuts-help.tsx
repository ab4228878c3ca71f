"use client";

import { useEffect, useRef } from "react";

const QUEUE_KEYS: [string[], string][] = [
  [["j"], "Next request"],
  [["k"], "Previous request"],
  [["o", "Enter"], "Open the request"],
  [["x"], "Select or unselect it"],
  [["a"], "Approve it (or the selected ones)"],
  [["d"], "Deny it (or the selected ones)"],
  [["e"], "Open it to edit the parameters"],
  [["?"], "This help"],
];

const REQUEST_KEYS: [string[], string][] = [
  [["a"], "Approve this request"],
  [["d"], "Deny this request"],
  [["n"], "Next request you can decide (after deciding)"],
  [["?"], "This help"],
];

/** The keyboard shortcuts of the page, in a modal dialog (Escape closes). */
export function ShortcutsHelp({ page, onClose }: { page: "queue" | "request"; onClose(): void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = dialog.current;
    if (d && !d.open) d.showModal();
    return () => d?.close();
  }, []);
  const keys = page === "queue" ? QUEUE_KEYS : REQUEST_KEYS;
  return (
    <dialog
      ref={dialog}
      onClose={onClose}
      aria-labelledby="shortcuts-title"
      data-testid="shortcuts-help"
      className="m-auto w-[min(26rem,calc(100vw-1.5rem))] rounded-xl border border-zinc-200 bg-white p-0 text-zinc-900 shadow-xl backdrop:bg-zinc-950/40"
    >
      <form method="dialog" className="p-5">
        <h2 id="shortcuts-title" className="text-base font-semibold tracking-tight">
          Keyboard shortcuts
        </h2>
        <p className="mt-0.5 text-sm text-zinc-500">Off while you type in a field.</p>
        <dl className="mt-4 space-y-2 text-sm">
          {keys.map(([combo, what]) => (
            <div key={what} className="flex items-center justify-between gap-4">
              <dt className="text-zinc-700">{what}</dt>
              <dd className="flex gap-1">
                {combo.map((k) => (
                  <kbd
                    key={k}
                    className="min-w-6 rounded border border-zinc-300 bg-zinc-50 px-1.5 py-0.5 text-center font-mono text-xs text-zinc-800 shadow-xs"
                  >
                    {k}
                  </kbd>
                ))}
              </dd>
            </div>
          ))}
        </dl>
        <div className="mt-5 flex justify-end">
          <button type="submit" className="inline-flex h-9 items-center rounded-lg bg-zinc-900 px-4 text-sm font-medium text-white hover:bg-zinc-800">
            Close
          </button>
        </div>
      </form>
    </dialog>
  );
}
