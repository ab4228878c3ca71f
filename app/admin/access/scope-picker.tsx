"use client";

import { type AdminScope, SCOPE_AREAS, SCOPE_DESCRIPTIONS } from "@/lib/admin-tokens/scopes";

const AREAS: Record<(typeof SCOPE_AREAS)[number], { label: string; covers: string }> = {
  policies: { label: "Policies", covers: "Rules, the policy document, default, action severity" },
  agents: { label: "Agents", covers: "Agents, keys, the kill switch, containment" },
  users: { label: "Users and groups", covers: "Accounts, roles, reviewer groups" },
  audit: { label: "Audit log", covers: "Events, export, checkpoints, retention" },
  webhooks: { label: "Webhooks", covers: "Endpoints, deliveries, retries" },
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
    <fieldset className="max-w-2xl">
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
          <span className="block text-xs text-zinc-500">Every area below, plus admin API tokens and single sign-on's default role</span>
        </span>
      </label>
      <div className={`rounded-lg border border-zinc-200 ${everything ? "opacity-60" : ""}`}>
        {SCOPE_AREAS.map((area) => {
          const write = `${area}:write` as AdminScope;
          const read = `${area}:read` as AdminScope;
          return (
            <div key={area} className="flex flex-wrap items-center justify-between gap-x-4 gap-y-1 border-b border-zinc-100 px-3 py-2 last:border-b-0">
              <span className="min-w-0 flex-1">
                <span className="block text-sm font-medium text-zinc-800">{AREAS[area].label}</span>
                <span className="block text-xs text-zinc-500">{AREAS[area].covers}</span>
              </span>
              <div className="flex gap-4">
                {box(read, "Read", !everything && value.includes(write))}
                {box(write, "Write")}
              </div>
            </div>
          );
        })}
      </div>
      <p className="mt-1 text-xs text-zinc-500">Write includes read.</p>
    </fieldset>
  );
}
