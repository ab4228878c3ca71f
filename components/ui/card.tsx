/** A bordered white panel with an optional titled header. */
export function Card({
  title,
  aside,
  children,
  className = "",
}: {
  title?: React.ReactNode;
  aside?: React.ReactNode;
  children: React.ReactNode;
  className?: string;
}) {
  return (
    <section className={`rounded-xl border border-zinc-200 bg-white shadow-xs ${className}`}>
      {title ? (
        <header className="flex items-center justify-between gap-3 border-b border-zinc-100 px-4 py-3 sm:px-5">
          <h2 className="text-sm font-semibold text-zinc-900">{title}</h2>
          {aside}
        </header>
      ) : null}
      <div className="px-4 py-4 sm:px-5">{children}</div>
    </section>
  );
}

/** Label/value pairs laid out as a definition list. */
export function Fields({ children }: { children: React.ReactNode }) {
  return <dl className="grid grid-cols-1 gap-x-6 gap-y-3 text-sm sm:grid-cols-[max-content_minmax(0,1fr)]">{children}</dl>;
}

export function Field({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <>
      <dt className="text-zinc-500">{label}</dt>
      <dd className="-mt-2 min-w-0 break-words text-zinc-900 sm:mt-0">{children}</dd>
    </>
  );
}

export function Muted({ children }: { children: React.ReactNode }) {
  return <span className="text-zinc-400">{children}</span>;
}
