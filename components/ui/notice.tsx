import { AlertIcon, LockIcon } from "./icons";

const TONES = {
  error: "border-red-200 bg-red-50 text-red-800",
  warning: "border-amber-200 bg-amber-50 text-amber-900",
} as const;

/** An inline message: errors from the server, or why an action is unavailable. */
export function Notice({
  tone,
  icon = "alert",
  testId,
  children,
}: {
  tone: keyof typeof TONES;
  icon?: "alert" | "lock";
  testId?: string;
  children: React.ReactNode;
}) {
  const Glyph = icon === "lock" ? LockIcon : AlertIcon;
  return (
    <div
      role={tone === "error" ? "alert" : "status"}
      data-testid={testId}
      className={`flex items-start gap-2 rounded-lg border px-3 py-2.5 text-sm ${TONES[tone]}`}
    >
      <Glyph className="mt-0.5 shrink-0" />
      <div className="min-w-0">{children}</div>
    </div>
  );
}
