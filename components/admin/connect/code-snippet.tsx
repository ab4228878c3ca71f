"use client";

import { useEffect, useRef, useState } from "react";
import type { Snippet } from "@/lib/agents/connect-snippets";
import { copyText, CopyIcon, type CopyState } from "../../ui/copy";
import { CheckIcon } from "../../ui/icons";

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
          onClick={() => void copyText(snippet.code, codeRef.current).then(setState)}
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
