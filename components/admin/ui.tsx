import { SpinnerIcon } from "../ui/icons";

/** Shared form controls of the console, in the dashboard's look. */
const fieldClass =
  "block rounded-lg border border-zinc-300 bg-white px-3 py-2 text-sm text-zinc-900 shadow-xs placeholder:text-zinc-400 focus:border-zinc-900 focus:outline-none focus:ring-2 focus:ring-zinc-900/10 disabled:cursor-not-allowed disabled:bg-zinc-50 disabled:text-zinc-400";
export const inputClass = `${fieldClass} w-full`;
/** For selects that sit beside buttons: as wide as their longest option. */
export const selectClass = `${fieldClass} h-9 w-auto py-1`;

const BUTTON = {
  primary: "bg-zinc-900 text-white hover:bg-zinc-800 shadow-xs",
  secondary: "border border-zinc-200 bg-white text-zinc-700 shadow-xs hover:bg-zinc-50 hover:text-zinc-900",
  danger: "bg-red-600 text-white hover:bg-red-700 shadow-xs",
  dangerOutline: "border border-red-200 bg-white text-red-700 shadow-xs hover:bg-red-50",
} as const;

export function Button({
  variant = "secondary",
  busy = false,
  className = "",
  children,
  ...props
}: React.ButtonHTMLAttributes<HTMLButtonElement> & { variant?: keyof typeof BUTTON; busy?: boolean }) {
  return (
    <button
      type="button"
      {...props}
      disabled={props.disabled || busy}
      className={`inline-flex h-9 shrink-0 items-center justify-center gap-1.5 whitespace-nowrap rounded-lg px-3 text-sm font-medium transition-colors disabled:cursor-not-allowed disabled:opacity-50 ${BUTTON[variant]} ${className}`}
    >
      {busy ? <SpinnerIcon className="size-3.5" /> : null}
      {children}
    </button>
  );
}

export function FormField({ label, htmlFor, hint, children }: { label: string; htmlFor: string; hint?: string; children: React.ReactNode }) {
  return (
    <div>
      <label htmlFor={htmlFor} className="mb-1.5 block text-sm font-medium text-zinc-800">
        {label}
      </label>
      {children}
      {hint ? <p className="mt-1 text-xs text-zinc-500">{hint}</p> : null}
    </div>
  );
}

/** Tags as small grey chips (agent-supplied text rendered as text). */
/** The reason an admin gives for a change (at most 500 characters), recorded in the audit log. */
export function ReasonField({
  id,
  value,
  onChange,
  optional,
  placeholder,
}: {
  id: string;
  value: string;
  onChange: (value: string) => void;
  optional?: boolean;
  placeholder: string;
}) {
  return (
    <div>
      <label htmlFor={id} className="mb-1.5 block text-sm font-medium text-zinc-800">
        Reason{optional ? <span className="font-normal text-zinc-500"> (optional)</span> : null}
      </label>
      <textarea id={id} rows={2} maxLength={500} value={value} onChange={(e) => onChange(e.target.value)} className={inputClass} placeholder={placeholder} />
    </div>
  );
}

export function Tags({ tags }: { tags: string[] }) {
  if (tags.length === 0) return <span className="text-zinc-400">—</span>;
  return (
    <span className="flex flex-wrap gap-1">
      {tags.map((t) => (
        <span key={t} className="rounded-md bg-zinc-100 px-1.5 py-0.5 font-mono text-xs text-zinc-700">
          {t}
        </span>
      ))}
    </span>
  );
}
