import { VisibleText } from "./visible-text";

/** The action type and the resource it targets, in monospace: what the agent wants to do, to what. */
export function ActionLabel({ action, resource }: { action: string; resource: string | null }) {
  return (
    <span className="inline-flex min-w-0 max-w-full flex-wrap items-center gap-x-1.5 gap-y-0.5 font-mono text-xs">
      <span className="rounded-md bg-zinc-100 px-1.5 py-0.5 text-zinc-800 ring-1 ring-inset ring-zinc-200">
        <VisibleText text={action} />
      </span>
      {resource ? (
        <span className="min-w-0 truncate text-zinc-500">
          <VisibleText text={resource} />
        </span>
      ) : null}
    </span>
  );
}
