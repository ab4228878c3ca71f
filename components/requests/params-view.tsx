"use client";

import canonicalize from "canonicalize";
import { useEffect, useMemo, useRef, useState } from "react";
import { Card } from "../ui/card";
import { copyText, CopyIcon, type CopyState } from "../ui/copy";
import { AlertIcon, CheckIcon } from "../ui/icons";
import { type ParamChange, ParamsDiff } from "./params-editor";
import { ParamsReadable } from "./params-readable";
import { VisibleText } from "./visible-text";

/**
 * The exact parameters the grant binds, as a reviewer can read them: keys in
 * canonical (RFC 8785) order, strings wrapped with their line breaks and
 * hidden characters shown, and below, the canonical JSON whose SHA-256 the
 * grant carries, checked in this browser against `params_sha256`. Everything
 * is React text: whatever the agent put in it stays inert.
 */
export function ParamsView({
  params,
  sha256,
  aside,
  editor,
  amended,
}: {
  params: Record<string, unknown>;
  sha256: string;
  /** In the header: the amend toggle, where the rule allows edits. */
  aside?: React.ReactNode;
  /** Above the params: the fields being amended. */
  editor?: React.ReactNode;
  /** When a reviewer amended the params: who, and what changed from what the agent asked. */
  amended?: { by: string | null; changes: ParamChange[] } | null;
}) {
  const empty = Object.keys(params).length === 0;
  return (
    <Card title="Parameters" aside={aside}>
      <p className="mb-3 text-xs leading-relaxed text-zinc-500">
        Each value as read first (amounts with their currency, emails with the domain in bold), then exactly what the grant binds: keys in canonical order, line
        breaks shown as ↵, hidden characters as red ⟨U+…⟩ markers.
      </p>
      {amended ? (
        <div className="mb-4 space-y-2 rounded-lg border border-amber-300 bg-amber-50 p-3 text-sm text-amber-900" data-testid="amended-notice">
          <p>
            <span className="font-medium">Amended</span> by {amended.by ?? "a reviewer"}: the grant binds the params below, not what the agent asked for.
          </p>
          <ParamsDiff changes={amended.changes} testId="amended-diff" />
        </div>
      ) : null}
      {editor}
      {empty ? <p className="mb-4 text-sm text-zinc-400">No parameters</p> : <ParamsReadable params={params} />}
      {empty ? null : (
        <div
          data-testid="params"
          className="max-h-[32rem] overflow-y-auto rounded-lg bg-zinc-950 p-4 font-mono text-[13px] leading-relaxed whitespace-pre-wrap text-zinc-100 [overflow-wrap:anywhere]"
        >
          <JsonValue value={params} />
        </div>
      )}
      <CanonicalJson params={params} sha256={sha256} />
    </Card>
  );
}

const Punct = ({ children }: { children: React.ReactNode }) => <span className="text-zinc-500">{children}</span>;

/** One JSON value, pretty-printed two spaces deep, objects in canonical key order (UTF-16 code units, as RFC 8785 sorts). */
function JsonValue({ value }: { value: unknown }) {
  if (typeof value === "string") {
    return (
      <span className="text-emerald-300 [unicode-bidi:isolate]" data-json="string">
        &quot;
        <VisibleText text={value} tone="dark" marks quoted />
        &quot;
      </span>
    );
  }
  if (typeof value === "number") return <span className="text-sky-300">{JSON.stringify(value)}</span>;
  if (value === null || typeof value === "boolean") return <span className="text-violet-300">{String(value)}</span>;
  if (Array.isArray(value)) {
    if (value.length === 0) return <Punct>[]</Punct>;
    return (
      <>
        <Punct>[</Punct>
        {value.map((v, i) => (
          <div key={i} className="pl-[2ch]">
            <JsonValue value={v} />
            {i < value.length - 1 ? <Punct>,</Punct> : null}
          </div>
        ))}
        <Punct>]</Punct>
      </>
    );
  }
  if (value && typeof value === "object") {
    const keys = Object.keys(value).sort();
    if (keys.length === 0) return <Punct>{"{}"}</Punct>;
    return (
      <>
        <Punct>{"{"}</Punct>
        {keys.map((k, i) => (
          <div key={k} className="pl-[2ch]" data-testid="param-entry">
            <span className="text-zinc-300 [unicode-bidi:isolate]" data-testid="param-key">
              &quot;
              <VisibleText text={k} tone="dark" marks quoted />
              &quot;
            </span>
            <Punct>: </Punct>
            <JsonValue value={(value as Record<string, unknown>)[k]} />
            {i < keys.length - 1 ? <Punct>,</Punct> : null}
          </div>
        ))}
        <Punct>{"}"}</Punct>
      </>
    );
  }
  return null;
}

type HashCheck = { state: "pending" } | { state: "unavailable" } | { state: "done"; hex: string };

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * The RFC 8785 text of the params and its SHA-256, computed here over the
 * exact UTF-8 bytes (Web Crypto, so only in a secure context) and compared
 * with the `params_sha256` the server bound into the grant.
 */
function CanonicalJson({ params, sha256 }: { params: Record<string, unknown>; sha256: string }) {
  const canonical = useMemo(() => canonicalize(params) ?? "", [params]);
  const [check, setCheck] = useState<HashCheck>({ state: "pending" });
  const [copied, setCopied] = useState<CopyState>("idle");
  // Without the Clipboard API: the exact text in a box to select (rendered only then, as it shows hidden characters applied).
  const [manual, setManual] = useState(false);
  const exactRef = useRef<HTMLTextAreaElement>(null);

  useEffect(() => {
    if (typeof crypto === "undefined" || !crypto.subtle) {
      setCheck({ state: "unavailable" });
      return;
    }
    let live = true;
    sha256Hex(canonical).then(
      (hex) => live && setCheck({ state: "done", hex }),
      () => live && setCheck({ state: "unavailable" }),
    );
    return () => {
      live = false;
    };
  }, [canonical]);

  useEffect(() => {
    const box = exactRef.current;
    if (!manual || !box) return;
    box.select();
    let ok = false;
    try {
      ok = document.execCommand("copy");
    } catch {
      // Some browsers throw instead of answering false.
    }
    setCopied(ok ? "copied" : "selected");
  }, [manual]);

  useEffect(() => {
    if (copied !== "copied") return;
    const t = setTimeout(() => setCopied("idle"), 2000);
    return () => clearTimeout(t);
  }, [copied]);

  const verdict = check.state === "done" ? (check.hex === sha256 ? "match" : "mismatch") : check.state;
  return (
    <div className="mt-5 border-t border-zinc-100 pt-4" data-testid="canonical">
      <div className="mb-2 flex items-center justify-between gap-3">
        <h3 className="text-xs font-medium tracking-wide text-zinc-500 uppercase">Canonical JSON</h3>
        <button
          type="button"
          onClick={() => void copyText(canonical, null).then((state) => (state === "idle" ? setManual(true) : setCopied(state)))}
          aria-label="Copy the canonical JSON"
          className="inline-flex h-8 shrink-0 items-center gap-1.5 rounded-lg border border-zinc-200 bg-white px-2.5 text-xs font-medium text-zinc-700 shadow-xs transition-colors hover:bg-zinc-50 hover:text-zinc-900"
        >
          {copied === "copied" ? <CheckIcon className="size-3.5 text-emerald-600" /> : <CopyIcon className="size-3.5" />}
          {copied === "copied" ? "Copied" : "Copy"}
        </button>
      </div>
      <div
        data-testid="canonical-json"
        className="max-h-48 overflow-y-auto rounded-lg border border-zinc-200 bg-zinc-50 px-3 py-2 font-mono text-xs leading-relaxed text-zinc-800 [overflow-wrap:anywhere]"
      >
        <VisibleText text={canonical} />
      </div>
      {manual ? (
        <>
          <textarea
            ref={exactRef}
            readOnly
            value={canonical}
            aria-label="Canonical JSON, exact text"
            className="mt-2 block h-20 w-full resize-y rounded-lg border border-zinc-200 p-2 font-mono text-xs"
          />
          {copied === "selected" ? (
            <p className="mt-1.5 text-xs text-amber-800">
              Your browser did not allow copying from this page: the exact text is selected, press Ctrl+C (⌘C on a Mac).
            </p>
          ) : null}
        </>
      ) : null}
      <dl className="mt-3 grid grid-cols-1 gap-x-4 gap-y-1 text-xs sm:grid-cols-[max-content_minmax(0,1fr)]">
        <dt className="text-zinc-500">SHA-256, computed here</dt>
        <dd className="min-w-0 font-mono break-all text-zinc-800" data-testid="canonical-sha256">
          {check.state === "done" ? check.hex : check.state === "pending" ? "…" : "not available (needs HTTPS)"}
        </dd>
        <dt className="mt-1 text-zinc-500 sm:mt-0">params_sha256, in the grant</dt>
        <dd className="min-w-0 font-mono break-all text-zinc-800" data-testid="params-sha256">
          {sha256}
        </dd>
      </dl>
      <HashVerdict verdict={verdict} />
    </div>
  );
}

function HashVerdict({ verdict }: { verdict: "pending" | "unavailable" | "match" | "mismatch" }) {
  if (verdict === "pending") return null;
  const base = "mt-3 flex items-start gap-1.5 rounded-md px-2 py-1.5 text-xs ring-1 ring-inset";
  if (verdict === "match") {
    return (
      <p className={`${base} bg-emerald-50 text-emerald-800 ring-emerald-600/20`} data-testid="params-hash-check" data-state="match">
        <CheckIcon className="mt-px size-3.5 shrink-0" />
        The hashes match: what is shown above is exactly what the grant binds.
      </p>
    );
  }
  if (verdict === "mismatch") {
    return (
      <p className={`${base} bg-red-50 text-red-800 ring-red-600/20`} data-testid="params-hash-check" data-state="mismatch">
        <AlertIcon className="mt-px size-3.5 shrink-0" />
        The hashes differ: what is shown is not exactly what the grant binds. Do not approve; report this to an admin.
      </p>
    );
  }
  return (
    <p className={`${base} bg-zinc-50 text-zinc-600 ring-zinc-500/20`} data-testid="params-hash-check" data-state="unavailable">
      <AlertIcon className="mt-px size-3.5 shrink-0" />
      Not checked: this browser computes SHA-256 only on a secure (HTTPS) page.
    </p>
  );
}
