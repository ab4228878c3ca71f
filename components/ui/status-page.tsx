import { LogoMark } from "./icons";

/** A whole-page message (not found, something failed) in the app's look, with a way back. */
export function StatusPage({ code, title, children, actions }: { code: string; title: string; children: React.ReactNode; actions: React.ReactNode }) {
  return (
    <div className="flex min-h-[60vh] flex-col items-center justify-center px-4 py-16 text-center" data-testid="status-page">
      <span className="mb-5 flex size-11 items-center justify-center rounded-xl bg-zinc-900 text-white shadow-sm">
        <LogoMark className="size-5" />
      </span>
      <p className="font-mono text-sm font-medium text-zinc-500">{code}</p>
      <h1 className="mt-1 text-2xl font-semibold tracking-tight text-zinc-900">{title}</h1>
      <div className="mt-2 max-w-md text-sm text-zinc-500">{children}</div>
      <div className="mt-6 flex flex-wrap items-center justify-center gap-3">{actions}</div>
    </div>
  );
}

export const primaryAction =
  "inline-flex h-10 items-center rounded-lg bg-zinc-900 px-4 text-sm font-medium text-white shadow-xs transition-colors hover:bg-zinc-800";
export const secondaryAction =
  "inline-flex h-10 items-center rounded-lg border border-zinc-300 bg-white px-4 text-sm font-medium text-zinc-800 shadow-xs transition-colors hover:bg-zinc-50";
