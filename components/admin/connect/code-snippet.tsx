"use client";

import { useEffect, useRef, useState } from "react";
import type { Snippet } from "@/lib/agents/connect-snippets";
import { CheckIcon } from "../../ui/icons";

const CopyIcon = (p: React.SVGProps<SVGSVGElement>) => (
  <svg width="16" height="16" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth={2} strokeLinecap="round" strokeLinejoin="round" aria-hidden="true" focusable="false" {...p}>
    <rect x="9" y="9" width="12" height="12" rx="2" />
    <path d="M5 15H4a1 1 0 0 1-1-1V4a1 1 0 0 1 1-1h10a1 1 0 0 1 1 1v1" />
  </svg>
);

type CopyState = "idle" | "copied" | "selected";

/**
 * Puts `text` on the clipboard. The Clipboard API needs a secure context
 * (HTTPS or localhost); a console served over plain HTTP on a LAN address
 * has none, so fall back to selecting the code, trying the old copy
 * command, and otherwise leaving the selection for the person to copy.
 */
async function copy(text: string, code: HTMLElement | null): Promise<CopyState> {
  if (typeof navigator !== "undefined" && navigator.clipboard && window.isSecureContext) {
    try {
      await navigator.clipboard.writeText(text);
      return "copied";
    } catch {
      // Denied or unavailable: fall through to selecting the text.
    }
  }
  if (!code) return "idle";
  const selection = window.getSelection();
  const range = document.createRange();
  range.selectNodeContents(code);
  selection?.removeAllRanges();
  selection?.addRange(range);
  try {
    if (document.execCommand("copy")) return "copied";
  } catch {
    // Some browsers throw instead of answering false.
  }
  return "selected";
}

/**
 * One snippet: title, optional note, the code as inert monospaced text
 * (React escapes it; nothing is parsed as HTML), and a copy button. Long
 * lines scroll sideways inside the block instead of widening the page.
 */
export function CodeSnippet({ snippet, label }: { snippet: Snippet; label?: string }) {
  const codeRef = useRef<HTMLElement>(null);
  const [state, setState] = useState<CopyState>("idle");
  useEffect(() => {
    if (state !== "copied") return;
    const t = setTimeout(() => setState("idle"), 2000);
    return () => clearTimeout(t);
  }, [state]);
  const name = label ?? snippet.title;

  return (
    <div className="min-w-0" data-testid="snippet" data-snippet-id={snippet.id}>
      <div className="mb-2 flex items-end justify-between gap-3">
        <div className="min-w-0">
          <h3 className="text-sm font-medium text-zinc-900">{snippet.title}</h3>
          {snippet.note ? <p className="mt-0.5 text-xs text-zinc-500">{snippet.note}</p> : null}
        </div>
        <button
          type="button"
          onClick={() => void copy(snippet.code, codeRef.current).then(setState)}
          aria-label={`Copy ${name}`}
          className="inline-flex h-8 shrink-0 items-center gap-1.5 rounded-lg border border-zinc-200 bg-white px-2.5 text-xs font-medium text-zinc-700 shadow-xs transition-colors hover:bg-zinc-50 hover:text-zinc-900"
        >
          {state === "copied" ? <CheckIcon className="size-3.5 text-emerald-600" /> : <CopyIcon className="size-3.5" />}
          {state === "copied" ? "Copied" : "Copy"}
        </button>
      </div>
      <pre
        className="max-h-[28rem] overflow-auto rounded-lg bg-zinc-950 px-4 py-3 text-[12.5px] leading-relaxed text-zinc-100 shadow-xs"
        tabIndex={0}
        aria-label={name}
      >
        <code ref={codeRef} data-testid="snippet-code" data-language={snippet.language} className="font-mono whitespace-pre">
          {snippet.code}
        </code>
      </pre>
      <p role="status" className="sr-only" aria-live="polite">
        {state === "copied" ? `${name} copied to the clipboard` : ""}
      </p>
      {state === "selected" ? (
        <p className="mt-1.5 text-xs text-amber-800" data-testid="copy-fallback">
          Your browser did not allow copying from this page: the text is selected, press Ctrl+C (⌘C on a Mac).
        </p>
      ) : null}
    </div>
  );
}
