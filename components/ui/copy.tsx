export type CopyState = "idle" | "copied" | "selected";

export const CopyIcon = (p: React.SVGProps<SVGSVGElement>) => (
  <svg
    width="16"
    height="16"
    viewBox="0 0 24 24"
    fill="none"
    stroke="currentColor"
    strokeWidth={2}
    strokeLinecap="round"
    strokeLinejoin="round"
    aria-hidden="true"
    focusable="false"
    {...p}
  >
    <rect x="9" y="9" width="12" height="12" rx="2" />
    <path d="M5 15H4a1 1 0 0 1-1-1V4a1 1 0 0 1 1-1h10a1 1 0 0 1 1 1v1" />
  </svg>
);

/**
 * Puts `text` on the clipboard. The Clipboard API needs a secure context
 * (HTTPS or localhost); a console served over plain HTTP on a LAN address
 * has none, so fall back to selecting `source` (an element whose text is
 * exactly `text`), trying the old copy command, and otherwise leaving the
 * selection for the person to copy.
 */
export async function copyText(text: string, source: HTMLElement | null): Promise<CopyState> {
  if (typeof navigator !== "undefined" && navigator.clipboard && window.isSecureContext) {
    try {
      await navigator.clipboard.writeText(text);
      return "copied";
    } catch {
      // Denied or unavailable: fall through to selecting the text.
    }
  }
  if (!source) return "idle";
  const selection = window.getSelection();
  const range = document.createRange();
  range.selectNodeContents(source);
  selection?.removeAllRanges();
  selection?.addRange(range);
  try {
    if (document.execCommand("copy")) return "copied";
  } catch {
    // Some browsers throw instead of answering false.
  }
  return "selected";
}
