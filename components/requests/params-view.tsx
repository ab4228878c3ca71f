import { Card } from "../ui/card";

/**
 * The exact parameters the grant will be bound to. Pretty-printed JSON in a
 * <pre> as React text: whatever the agent put in it stays inert.
 */
export function ParamsView({ params, sha256 }: { params: Record<string, unknown>; sha256: string }) {
  const empty = Object.keys(params).length === 0;
  return (
    <Card title="Parameters" aside={<span className="hidden font-mono text-[11px] text-zinc-400 sm:inline" title="SHA-256 of the canonical JSON">sha256 {sha256.slice(0, 12)}…</span>}>
      {empty ? (
        <p className="text-sm text-zinc-400">No parameters</p>
      ) : (
        <pre
          data-testid="params"
          className="max-h-[28rem] overflow-auto rounded-lg bg-zinc-950 p-4 font-mono text-[13px] leading-relaxed text-zinc-100"
        >
          {JSON.stringify(params, null, 2)}
        </pre>
      )}
    </Card>
  );
}
