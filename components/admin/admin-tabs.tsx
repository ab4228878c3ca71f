import Link from "next/link";

const TABS = [
  { href: "/admin/agents", label: "Agents" },
  { href: "/admin/reviewers", label: "Reviewers" },
  { href: "/admin/policies", label: "Policies" },
  { href: "/admin/access", label: "Access" },
  { href: "/admin/webhooks", label: "Webhooks" },
] as const;

/** The console's sections. `readOnly` marks an auditor's view. */
export function AdminTabs({ active, readOnly }: { active: "agents" | "reviewers" | "policies" | "access" | "webhooks"; readOnly: boolean }) {
  return (
    <div className="mb-6 flex flex-wrap items-center justify-between gap-3 border-b border-zinc-200">
      <nav aria-label="Admin" className="-mb-px flex gap-2 sm:gap-4">
        {TABS.map((t) => {
          const on = t.href.endsWith(active);
          return (
            <Link
              key={t.href}
              href={t.href}
              aria-current={on ? "page" : undefined}
              className={`border-b-2 px-1 pb-2.5 text-sm font-medium transition-colors ${on ? "border-zinc-900 text-zinc-900" : "border-transparent text-zinc-500 hover:text-zinc-900"}`}
            >
              {t.label}
            </Link>
          );
        })}
      </nav>
      {readOnly ? (
        <span className="mb-2 rounded-full bg-zinc-100 px-2 py-0.5 text-xs font-medium text-zinc-600" data-testid="read-only">
          Read-only (auditor)
        </span>
      ) : null}
    </div>
  );
}
