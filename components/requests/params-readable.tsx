"use client";

import { useMemo } from "react";
import { type ParamKind, paramLeaves } from "@/lib/text/param-kinds";
import { formatDateTime } from "../format";
import { VisibleText } from "./visible-text";

/**
 * The params as a reviewer reads them: each value by what it is (an amount
 * with its currency, an email with its domain set apart, a URL's host, a
 * date in local time, multi-line text as lines). All of it React text; the
 * exact JSON stays below it, and it is what the grant binds.
 */
export function ParamsReadable({ params }: { params: Record<string, unknown> }) {
  const { leaves, more } = useMemo(() => paramLeaves(params), [params]);
  if (leaves.length === 0) return null;
  return (
    <div className="mb-4" data-testid="params-readable">
      <dl className="divide-y divide-zinc-100 rounded-lg border border-zinc-200 text-sm">
        {leaves.map((leaf) => (
          <div
            key={leaf.path}
            className="grid gap-x-4 gap-y-0.5 px-3 py-2 sm:grid-cols-[minmax(7rem,12rem)_minmax(0,1fr)]"
            data-testid="readable-param"
            data-kind={leaf.display.kind}
          >
            <dt className="min-w-0 font-mono text-xs break-words text-zinc-500 [overflow-wrap:anywhere] sm:pt-0.5">
              <VisibleText text={leaf.path} />
            </dt>
            <dd className="min-w-0 break-words text-zinc-900 [overflow-wrap:anywhere]">
              <Value value={leaf.value} display={leaf.display} />
            </dd>
          </div>
        ))}
      </dl>
      {more > 0 ? <p className="mt-1.5 text-xs text-zinc-500">{more} more in the JSON below.</p> : null}
    </div>
  );
}

const Note = ({ children }: { children: React.ReactNode }) => <span className="ml-2 text-xs text-zinc-500">{children}</span>;

/** The ASCII (punycode) form of a domain when it differs: `exämple.com` is `xn--exmple-cua.com`, which is what mail is sent to. */
function asciiDomain(domain: string): string | null {
  try {
    const ascii = new URL(`http://${domain}`).hostname;
    return ascii !== domain.toLowerCase() ? ascii : null;
  } catch {
    return null;
  }
}

function Value({ value, display }: { value: unknown; display: ParamKind }) {
  switch (display.kind) {
    case "money":
      return (
        <>
          <span className="font-semibold tabular-nums" data-testid="readable-money">
            {display.formatted}
          </span>
          <Note>
            {display.minorUnits ? `${String(value)} in minor units (cents)` : `sent as ${String(value)}`}
            {display.currency ? null : ", no currency given"}
          </Note>
        </>
      );
    case "email": {
      const ascii = asciiDomain(display.domain);
      return (
        <>
          <span data-testid="readable-email">
            <VisibleText text={display.local} />
            <span className="text-zinc-400">@</span>
            <span className="font-semibold">
              <VisibleText text={display.domain} />
            </span>
          </span>
          {ascii ? <Note>non-ASCII domain, sent to {ascii}</Note> : null}
        </>
      );
    }
    case "url":
      return (
        <span className="font-mono text-[13px]" data-testid="readable-url">
          <span className="text-zinc-500">{display.scheme}://</span>
          <span className="font-semibold">
            <VisibleText text={display.host} />
          </span>
          <span className="text-zinc-500">
            <VisibleText text={display.rest} />
          </span>
        </span>
      );
    case "datetime":
      return (
        <>
          <span>{formatDateTime(display.iso)}</span>
          <Note>
            <VisibleText text={display.iso} />
          </Note>
        </>
      );
    case "multiline":
      return (
        <div className="rounded-md bg-zinc-50 px-2 py-1.5 whitespace-pre-wrap" data-testid="readable-multiline">
          <VisibleText text={String(value)} />
          <p className="mt-1 text-xs text-zinc-500">{display.lines} lines</p>
        </div>
      );
    case "text":
      return <VisibleText text={String(value)} />;
    case "number":
      return <span className="tabular-nums">{JSON.stringify(value)}</span>;
    case "boolean":
    case "null":
      return <span className="font-mono text-[13px] text-violet-700">{String(value)}</span>;
    case "empty":
      return <span className="font-mono text-[13px] text-zinc-500">{display.brackets}</span>;
  }
}
