"use client";

import Link from "next/link";
import { useId, useMemo, useRef, useState } from "react";
import { buildConnectSnippets, KEY_PLACEHOLDER, type Snippet } from "@/lib/agents/connect-snippets";
import { KeyIcon } from "../../ui/icons";
import { CodeSnippet } from "./code-snippet";

const TABS = [
  { id: "curl", label: "curl" },
  { id: "typescript", label: "TypeScript" },
  { id: "python", label: "Python" },
  { id: "mcp", label: "MCP" },
  { id: "mcp-gateway", label: "MCP gateway" },
] as const;
type TabId = (typeof TABS)[number]["id"];

/** A link in the console's secondary button look: "Connect" on an agent's page. */
export function ConnectLink({ agentId }: { agentId: string }) {
  return (
    <Link
      href={`/admin/agents/${encodeURIComponent(agentId)}/connect`}
      className="inline-flex h-9 shrink-0 items-center justify-center gap-1.5 whitespace-nowrap rounded-lg border border-zinc-200 bg-white px-3 text-sm font-medium text-zinc-700 shadow-xs transition-colors hover:bg-zinc-50 hover:text-zinc-900"
    >
      Connect
    </Link>
  );
}

/** curl / TypeScript / Python / MCP, as an ARIA tab list (arrow keys move between tabs). */
function SnippetTabs({ tabs }: { tabs: Record<TabId, Snippet[]> }) {
  const [active, setActive] = useState<TabId>("curl");
  const base = useId();
  const refs = useRef<Partial<Record<TabId, HTMLButtonElement | null>>>({});

  function onKeyDown(e: React.KeyboardEvent) {
    const i = TABS.findIndex((t) => t.id === active);
    const next =
      e.key === "ArrowRight"
        ? (i + 1) % TABS.length
        : e.key === "ArrowLeft"
          ? (i - 1 + TABS.length) % TABS.length
          : e.key === "Home"
            ? 0
            : e.key === "End"
              ? TABS.length - 1
              : -1;
    if (next < 0) return;
    e.preventDefault();
    setActive(TABS[next].id);
    refs.current[TABS[next].id]?.focus();
  }

  return (
    <section className="min-w-0 rounded-xl border border-zinc-200 bg-white shadow-xs">
      <div role="tablist" aria-label="Snippets" className="flex gap-1 overflow-x-auto border-b border-zinc-100 px-2 pt-2 sm:px-3" onKeyDown={onKeyDown}>
        {TABS.map((t) => {
          const on = t.id === active;
          return (
            <button
              key={t.id}
              ref={(el) => {
                refs.current[t.id] = el;
              }}
              type="button"
              role="tab"
              id={`${base}-tab-${t.id}`}
              aria-selected={on}
              aria-controls={`${base}-panel-${t.id}`}
              tabIndex={on ? 0 : -1}
              onClick={() => setActive(t.id)}
              className={`-mb-px whitespace-nowrap border-b-2 px-3 pb-2.5 pt-1.5 text-sm font-medium transition-colors ${on ? "border-zinc-900 text-zinc-900" : "border-transparent text-zinc-500 hover:text-zinc-900"}`}
            >
              {t.label}
            </button>
          );
        })}
      </div>
      {TABS.map((t) => (
        <div
          key={t.id}
          role="tabpanel"
          id={`${base}-panel-${t.id}`}
          aria-labelledby={`${base}-tab-${t.id}`}
          hidden={t.id !== active}
          className="space-y-5 px-4 py-4 sm:px-5"
          data-testid={`snippets-${t.id}`}
        >
          {tabs[t.id].map((s) => (
            <CodeSnippet key={s.id} snippet={s} label={`${t.label}: ${s.title}`} />
          ))}
        </div>
      ))}
    </section>
  );
}

function NextSteps() {
  const link = "font-medium text-zinc-900 underline decoration-zinc-300 underline-offset-2 hover:decoration-zinc-900";
  return (
    <aside className="min-w-0 space-y-6 rounded-xl border border-zinc-200 bg-white px-4 py-4 shadow-xs sm:px-5 lg:self-start" data-testid="connect-next-steps">
      <div>
        <h2 className="text-sm font-semibold text-zinc-900">What happens next</h2>
        <ol className="mt-3 space-y-3 text-sm text-zinc-600">
          {[
            <>
              The request appears in the{" "}
              <Link href="/" className={link}>
                review queue
              </Link>{" "}
              at once, unless a policy rule allows or denies it outright.
            </>,
            <>A reviewer approves or denies it, with a reason.</>,
            <>The waiting agent receives a one-time grant, bound to this exact action and parameters, valid for minutes.</>,
            <>The executor redeems the grant once, then acts. A second redemption is refused.</>,
          ].map((step, i) => (
            <li key={i} className="flex gap-3">
              <span className="flex size-5 shrink-0 items-center justify-center rounded-full bg-zinc-100 text-xs font-medium tabular-nums text-zinc-700">
                {i + 1}
              </span>
              <span className="min-w-0">{step}</span>
            </li>
          ))}
        </ol>
      </div>
      <div className="border-t border-zinc-100 pt-4">
        <h2 className="text-sm font-semibold text-zinc-900">Reference</h2>
        <ul className="mt-2 space-y-1.5 text-sm">
          <li>
            <a href="/docs/api" className={link}>
              API reference
            </a>
          </li>
          <li>
            <a href="/api/v1/openapi.json" className={link}>
              OpenAPI document
            </a>{" "}
            <span className="text-zinc-500">(/api/v1/openapi.json)</span>
          </li>
          <li>
            <Link href="/admin/policies" className={link}>
              Policies
            </Link>{" "}
            <span className="text-zinc-500">decide what needs a reviewer</span>
          </li>
        </ul>
      </div>
    </aside>
  );
}

/**
 * Copy-paste setup for one agent: environment, curl, SDKs and MCP, filled
 * with its id and name and the gateway's URL. `agentKey` is the key just
 * issued, held only in the browser's memory; the snippets are built here from
 * it, so it never goes back to the server. Without it they show a
 * placeholder, and `keyAction` (issuing a new key) is offered instead.
 */
export function ConnectAgent({
  agentId,
  agentName,
  publicUrl,
  agentKey,
  keyAction,
}: {
  agentId: string;
  agentName: string;
  publicUrl: string;
  agentKey: string | null;
  keyAction?: React.ReactNode;
}) {
  const snippets = useMemo(() => buildConnectSnippets({ url: publicUrl, agentId, agentName, agentKey }), [publicUrl, agentId, agentName, agentKey]);

  return (
    <div className="grid gap-6 lg:grid-cols-[minmax(0,1fr)_18rem]" data-testid="connect-agent" data-key-shown={agentKey ? "true" : "false"}>
      <div className="min-w-0 space-y-6">
        {agentKey ? (
          <div
            role="status"
            className="flex items-start gap-2 rounded-lg border border-amber-200 bg-amber-50 px-3 py-2.5 text-sm text-amber-900"
            data-testid="connect-key-notice"
          >
            <KeyIcon className="mt-0.5 size-4 shrink-0" />
            <p className="min-w-0">
              <span className="font-semibold">Shown once:</span> these snippets contain the new key. Copy what you need now; after Done, or once you leave this
              page, they show a placeholder.
            </p>
          </div>
        ) : (
          <div
            className="flex flex-col gap-3 rounded-lg border border-zinc-200 bg-white px-3 py-3 text-sm text-zinc-600 shadow-xs sm:flex-row sm:items-center sm:justify-between"
            data-testid="connect-key-notice"
          >
            <p className="flex min-w-0 items-start gap-2">
              <KeyIcon className="mt-0.5 size-4 shrink-0 text-zinc-400" />
              <span className="min-w-0">
                Keys are shown once, when issued, and cannot be shown again. The snippets use{" "}
                <code className="font-mono text-xs text-zinc-900">{KEY_PLACEHOLDER}</code> or{" "}
                <code className="font-mono text-xs text-zinc-900">$COUNTERSIGN_AGENT_KEY</code>: use the key you saved, or issue a new one.
              </span>
            </p>
            {keyAction}
          </div>
        )}

        <section className="min-w-0 rounded-xl border border-zinc-200 bg-white px-4 py-4 shadow-xs sm:px-5">
          <CodeSnippet snippet={snippets.env} label="Environment" />
        </section>

        <SnippetTabs
          tabs={{ curl: snippets.curl, typescript: snippets.typescript, python: snippets.python, mcp: snippets.mcp, "mcp-gateway": snippets.mcpGateway }}
        />
      </div>
      <NextSteps />
    </div>
  );
}
