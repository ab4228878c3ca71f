import type { RequestObject } from "@/lib/schemas/requests";
import { scalarText } from "../format";
import { Card, Field, Fields, Muted } from "../ui/card";
import { ArrowRightIcon } from "../ui/icons";
import { VisibleText } from "./visible-text";

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Who the agent acts for, how it got here, and the facts it reports about itself. */
export function ContextView({ context }: { context: RequestObject["context"] }) {
  const chain = Array.isArray(context.delegation_chain) ? context.delegation_chain.map(scalarText) : [];
  const confidence = typeof context.confidence === "number" ? context.confidence : null;
  const environment = isRecord(context.environment) ? Object.entries(context.environment) : [];
  const labels = isRecord(context.labels) ? Object.entries(context.labels) : [];
  // Set by `countersign mcp-proxy` (or by the agent: like all context, reported, not verified).
  const mcp = isRecord(context.mcp) ? { server: scalarText(context.mcp.server), tool: scalarText(context.mcp.tool) } : null;
  return (
    <Card title="Context">
      <Fields>
        <Field label="On behalf of">
          <span className="flex flex-wrap items-center gap-x-2 gap-y-1">
            {typeof context.on_behalf_of === "string" ? (
              <span data-testid="on-behalf-of" className="break-all">
                <VisibleText text={context.on_behalf_of} />
              </span>
            ) : (
              <Muted>Not stated</Muted>
            )}
            {typeof context.on_behalf_of === "string" || context.on_behalf_of_verified !== undefined ? <OnBehalfOfCheck context={context} /> : null}
          </span>
        </Field>
        {mcp ? (
          <Field label="MCP tool">
            <span data-testid="mcp-tool" className="flex flex-wrap items-center gap-1.5 font-mono text-xs">
              <span className="rounded-md border border-zinc-200 bg-white px-1.5 py-0.5 text-zinc-600">
                <VisibleText text={mcp.server} />
              </span>
              <ArrowRightIcon className="size-3.5 text-zinc-400" />
              <span className="break-all text-zinc-900">
                <VisibleText text={mcp.tool} />
              </span>
            </span>
          </Field>
        ) : null}
        <Field label="Delegation chain">{chain.length ? <DelegationChain steps={chain} /> : <Muted>None</Muted>}</Field>
        <Field label="Confidence">{confidence === null ? <Muted>Not stated</Muted> : <Confidence value={confidence} />}</Field>
        <Field label="Task">
          {context.task_id !== undefined ? (
            <span className="font-mono text-xs">
              <VisibleText text={scalarText(context.task_id)} />
            </span>
          ) : (
            <Muted>None</Muted>
          )}
        </Field>
        <Field label="Environment">
          {environment.length ? (
            <dl className="grid grid-cols-[auto_minmax(0,1fr)] gap-x-3 gap-y-1 font-mono text-xs">
              {environment.map(([k, v]) => (
                <div key={k} className="contents">
                  <dt className="text-zinc-500">
                    <VisibleText text={k} />
                  </dt>
                  <dd className="break-words text-zinc-900">
                    <VisibleText text={scalarText(v)} />
                  </dd>
                </div>
              ))}
            </dl>
          ) : (
            <Muted>None</Muted>
          )}
        </Field>
        <Field label="Labels">
          {labels.length ? (
            <span className="flex flex-wrap gap-1">
              {labels.map(([k, v]) => (
                <span key={k} className="rounded-md bg-zinc-100 px-1.5 py-0.5 font-mono text-xs text-zinc-700 ring-1 ring-inset ring-zinc-200">
                  <VisibleText text={`${k}: ${scalarText(v)}`} />
                </span>
              ))}
            </span>
          ) : (
            <Muted>None</Muted>
          )}
        </Field>
      </Fields>
    </Card>
  );
}

function DelegationChain({ steps }: { steps: string[] }) {
  return (
    <ol className="flex flex-wrap items-center gap-1.5" aria-label="Delegation chain">
      {steps.map((step, i) => (
        <li key={i} className="flex items-center gap-1.5">
          {i > 0 ? <ArrowRightIcon className="size-3.5 text-zinc-400" /> : null}
          <span className="rounded-md border border-zinc-200 bg-white px-1.5 py-0.5 font-mono text-xs text-zinc-800">
            <VisibleText text={step} />
          </span>
        </li>
      ))}
    </ol>
  );
}

function Confidence({ value }: { value: number }) {
  const pct = Math.round(value * 100);
  const tone = pct >= 80 ? "bg-emerald-500" : pct >= 50 ? "bg-amber-500" : "bg-red-500";
  return (
    <span className="inline-flex items-center gap-2">
      <span className="tabular-nums">{pct}%</span>
      <span className="h-1.5 w-24 overflow-hidden rounded-full bg-zinc-200" aria-hidden="true">
        <span className={`block h-full rounded-full ${tone}`} style={{ width: `${pct}%` }} />
      </span>
    </span>
  );
}

/**
 * Whether the gateway verified who the agent acts for (an ID token from a
 * trusted issuer, lib/on-behalf-of): "verified: <email>" only then; a stated
 * name without a token, or with one that failed, is "unverified", with why.
 */
function OnBehalfOfCheck({ context }: { context: RequestObject["context"] }) {
  const subject = isRecord(context.on_behalf_of_subject) ? context.on_behalf_of_subject : null;
  if (context.on_behalf_of_verified === true && subject && typeof subject.email === "string") {
    const issuer = typeof subject.iss === "string" ? subject.iss : "the issuer";
    return (
      <span
        data-testid="on-behalf-of-check"
        data-verified="true"
        title={`ID token from ${issuer} verified`}
        className="inline-flex max-w-full items-center gap-1 rounded-full bg-emerald-50 px-2 py-0.5 text-xs font-medium text-emerald-800 ring-1 ring-inset ring-emerald-600/20"
      >
        <span className="size-1.5 shrink-0 rounded-full bg-emerald-500" aria-hidden="true" />
        <span className="break-all">
          verified: <VisibleText text={subject.email} />
        </span>
      </span>
    );
  }
  const reason =
    typeof context.on_behalf_of_unverified_reason === "string" ? context.on_behalf_of_unverified_reason : "the agent sent no ID token for this person";
  return (
    <span className="inline-flex max-w-full flex-wrap items-center gap-x-1.5 gap-y-0.5">
      <span
        data-testid="on-behalf-of-check"
        data-verified="false"
        className="inline-flex items-center gap-1 rounded-full bg-amber-50 px-2 py-0.5 text-xs font-medium text-amber-800 ring-1 ring-inset ring-amber-600/20"
      >
        <span className="size-1.5 shrink-0 rounded-full bg-amber-500" aria-hidden="true" />
        unverified
      </span>
      <span className="text-xs text-zinc-500" data-testid="on-behalf-of-reason">
        <VisibleText text={reason} />
      </span>
    </span>
  );
}
