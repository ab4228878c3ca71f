"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";

/** `role` adds the admin console for admins (and auditors, read-only); the pages check the role themselves. */
export function NavLinks({ queueCount, role }: { queueCount: React.ReactNode; role?: string }) {
  const pathname = usePathname();
  const onQueue = pathname === "/" || pathname.startsWith("/requests/");
  const links = [
    { href: "/", label: "Queue", active: onQueue, extra: queueCount },
    { href: "/history", label: "History", active: pathname.startsWith("/history"), extra: null },
    ...(role === "admin" || role === "auditor" ? [{ href: "/admin/agents", label: "Admin", active: pathname.startsWith("/admin"), extra: null }] : []),
    ...(role === "admin" || role === "auditor" ? [{ href: "/audit", label: "Audit", active: pathname.startsWith("/audit"), extra: null }] : []),
  ];
  return (
    <nav aria-label="Main" className="flex min-w-0 items-center gap-1 overflow-x-auto">
      {links.map((l) => (
        <Link
          key={l.href}
          href={l.href}
          aria-current={l.active ? "page" : undefined}
          className={`inline-flex h-8 shrink-0 items-center gap-2 whitespace-nowrap rounded-md px-2.5 text-sm font-medium transition-colors ${
            l.active ? "bg-zinc-100 text-zinc-900" : "text-zinc-500 hover:bg-zinc-50 hover:text-zinc-900"
          }`}
        >
          {l.label}
          {l.extra}
        </Link>
      ))}
      {/* A plain link: the API reference is its own HTML document, not a page of this app's router. */}
      <a
        href="/docs/api"
        aria-label="API reference"
        className="inline-flex h-8 shrink-0 items-center whitespace-nowrap rounded-md px-2.5 text-sm font-medium text-zinc-500 transition-colors hover:bg-zinc-50 hover:text-zinc-900"
      >
        <span className="sm:hidden">API</span>
        <span className="hidden sm:inline">API reference</span>
      </a>
    </nav>
  );
}
