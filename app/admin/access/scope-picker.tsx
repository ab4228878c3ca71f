"use client";

import { type AdminScope, SCOPE_AREAS, SCOPE_DESCRIPTIONS } from "@/lib/admin-tokens/scopes";

const AREA_LABELS: Record<(typeof SCOPE_AREAS)[number], string> = {
  policies: "Policies",
  agents: "Agents",
  users: "Users and groups",
  audit: "Audit log",
  webhooks: "Webhooks",
};

/**
 * A token's scopes as checkboxes: per area read and write (write includes
 * read, so read shows checked and fixed beside it), or everything (`admin`),
 * which stands alone.
 */
export function ScopePicker({ value, onChange }: { value: AdminScope[]; onChange: (scopes: AdminScope[]) => void }) {
  const everything = value.includes("admin");
  const toggle = (scope: AdminScope, on: boolean) => {
    if (scope === "admin") return onChange(on ? ["admin"] : []);
    const rest = value.filter((s) => s !== scope && s !== "admin");
    onChange(on ? [...rest, scope] : rest);
  };
  const box = (scope: AdminScope, label: string, implied = false) => (
    <label className="flex items-center gap-2 text-sm text-zinc-700" title={SCOPE_DESCRIPTIONS[scope]}>
      <input
        type="checkbox"
        className="size-4 rounded border-zinc-300"
        data-scope={scope}
        checked={implied || value.includes(scope)}
        disabled={everything || implied}
        onChange={(e) => toggle(scope, e.target.checked)}
      />
      <span>{label}</span>
    </label>
  );

  return (
    <fieldset>
      <legend className="mb-1.5 text-sm font-medium text-zinc-800">Scopes</legend>
      <label className="mb-2 flex items-start gap-2 text-sm text-zinc-700">
        <input
          type="checkbox"
          className="mt-0.5 size-4 rounded border-zinc-300"
          data-scope="admin"
          checked={everything}
          onChange={(e) => toggle("admin", e.target.checked)}
        />
        <span>
          <span className="font-medium text-zinc-900">Everything</span> <span className="font-mono text-xs text-zinc-500">admin</span>
          <span className="block text-xs text-zinc-500">{SCOPE_DESCRIPTIONS.admin}</span>
        </span>
      </label>
      <div className={`rounded-lg border border-zinc-200 ${everything ? "opacity-60" : ""}`}>
        {SCOPE_AREAS.map((area) => {
          const write = `${area}:write` as AdminScope;
          const read = `${area}:read` as AdminScope;
          return (
            <div key={area} className="flex flex-wrap items-center justify-between gap-x-4 gap-y-1 border-b border-zinc-100 px-3 py-2 last:border-b-0">
              <span className="min-w-32 text-sm font-medium text-zinc-800">{AREA_LABELS[area]}</span>
              <div className="flex gap-4">
                {box(read, "Read", !everything && value.includes(write))}
                {box(write, "Write")}
              </div>
            </div>
          );
        })}
      </div>
      <p className="mt-1 text-xs text-zinc-500">Write includes read. Hover a box for what it reaches.</p>
    </fieldset>
  );
}
